"""Clinical facets of evidence sentences, and each sentence's role in its abstract.

A facet says what a sentence is about (mechanism, treatment, pitfalls...); a role says what it
does in the abstract (states the aim, describes methods, reports a result, concludes). Only
results and conclusions are findings: an aim or a method is never shown as a bullet.
"""

from __future__ import annotations

import re

FACET_TITLES = {
    "answer": "Key findings",
    "mechanism": "Mechanism",
    "prevalence": "Prevalence",
    "risk": "Risk factors and associations",
    "presentation": "Clinical presentation",
    "diagnosis": "Diagnosis",
    "treatment": "Treatment options",
    "prognosis": "Prognosis and impact",
    "prevention": "Prevention and monitoring",
    "limitations": "Limitations of the evidence",
    "pitfalls": "Pitfalls and contraindications",
    "other": "Other findings",
}

# First match wins, so the specific facets (pitfalls, limitations) are tried before the broad.
_FACET_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("pitfalls", re.compile(r"\b(contraindicat|avoid|should not|must not|do not (?:use|take)|don.t (?:use|take)|caution|adverse (?:event|effect|reaction)|toxicit|interact(?:ion|s) with|harm)", re.I)),
    ("limitations", re.compile(r"\b(limitation|limited (?:evidence|data)|further (?:research|studies|stud)|larger (?:studies|trials)|small sample|remains? (?:unclear|unknown|controversial)|not well (?:studied|understood|established)|poorly understood|insufficient evidence|more research|needs? to be (?:confirmed|validated)|warrant)", re.I)),
    ("prevention", re.compile(r"\b(prevent|prophyla|reduces? the (?:incidence|likelihood|risk)|lower(?:s|ed)? the risk|monitor|follow-up|surveillance|vaccin|screening)", re.I)),
    ("treatment", re.compile(r"\b(treat|therap|dose|dosage|mg\b|medication|surger|intervention|exercise|management|efficac|first-line|randomi[sz]ed to|placebo|administ|should be offered|comedication|supplement)", re.I)),
    ("diagnosis", re.compile(r"\b(diagnos|sensitivity|specificity|accuracy|biomarker|imaging|detect|positive predictive|ROC|area under)", re.I)),
    ("prognosis", re.compile(r"\b(prognos|mortality|survival|outcome|recurrence|adherence|discontinu|compliance|quality of life|predict)", re.I)),
    ("prevalence", re.compile(r"\b(prevalen|incidence|frequency|\d+(?:\.\d+)?\s?% of (?:the )?(?:patients|women|men|participants|subjects|children|cases)|reported by|affect(?:s|ed)? (?:up to|about|approximately))", re.I)),
    ("mechanism", re.compile(r"\b(mechanism|pathway|mediat|pathophysiolog|pathogenes|signal(?:l)?ing|deprivation|deficiency|caused by|due to|leads? to|induces?|activat|inhibit(?:s|ed|ion) (?:of )?the)", re.I)),
    ("risk", re.compile(r"\b(risk factor|at (?:an? )?(?:increased|higher|lower|reduced) risk|(?:less|more) likely to (?:develop|have|experience)|associated with|association (?:between|with)|odds ratio|correlat|linked to|had (?:more|fewer) (?:patients|cases|women|men|participants))", re.I)),
    ("presentation", re.compile(r"\b(symptom|sign|present(?:s|ed|ation) with|manifest|pain|stiffness|arthralgia|myalgia|fatigue|complain)", re.I)),
]


# A consumer page section already says what it is about (MedQuAD's question types): a sentence
# on the "treatment" page is about treatment even when it says "the symptoms improve". The
# warning facets, and wording about what is done (treat, diagnose, prevent), still win over the
# page's topic. "research" pages describe studies under way, not established care, so they never
# fill a care facet.
PAGE_TOPIC_FACET = {
    "treatment": "treatment", "symptoms": "presentation", "causes": "mechanism",
    "genetic changes": "mechanism", "inheritance": "mechanism", "frequency": "prevalence",
    "exams and tests": "diagnosis", "outlook": "prognosis", "complications": "prognosis",
    "prevention": "prevention", "susceptibility": "risk", "research": "other",
}
_WARNING_FACETS = ("pitfalls", "limitations")
_CARE_ACTIONS = ("treatment", "diagnosis", "prevention")


def facet_of(text: str, page_topic: str | None = None) -> str:
    """The facet of a sentence; `page_topic` is the topic of the consumer page it comes from."""
    page_facet = PAGE_TOPIC_FACET.get(page_topic or "")
    for facet, pattern in _FACET_PATTERNS:
        if pattern.search(text):
            # A sentence that says what is done ("Doctors may prescribe X to treat ...") keeps
            # that facet on any care page; the research page's topic still wins.
            if facet in _WARNING_FACETS or page_facet is None or (
                    facet in _CARE_ACTIONS and page_topic != "research"):
                return facet
            break
    return page_facet or "other"


# ---------------------------------------------------------------- roles

_SECTION_ROLES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"conclu|interpretation|implication|summary|discussion|recommend", re.I), "conclusion"),
    (re.compile(r"result|finding|outcome", re.I), "result"),
    (re.compile(r"method|design|setting|patients|participants|subjects|materials|intervention|measure|procedure|population", re.I), "method"),
    (re.compile(r"objective|aim|purpose|background|introduction|context|hypothes|rationale|question", re.I), "background"),
]

_AIM = re.compile(
    r"^(?:the |our )?(?:aims?|objectives?|purposes?|goals?)\b|^(?:this|the present|the current|our) "
    r"(?:study|trial|review|analysis|paper|work|report|article)\s+(?:aims?|aimed|was designed|"
    r"sought|seeks|investigat|examin|evaluat|assess|explor|describ|review|compar|determin|"
    r"focus|present)|^we (?:aimed|sought|set out|investigated|examined|evaluated|assessed|"
    r"explored|hypothesi[sz]ed|describe|present|report (?:a|the) case)|"
    r"^to (?:determine|evaluate|assess|investigate|examine|compare|explore|describe|identify)\b|"
    r"^in (?:this|the present|the current|our) (?:study|trial|work|paper),? we (?:observed|"
    r"investigated|examined|evaluated|assessed|explored|studied|describe|report)\b|"
    r"^(?:an? )?(?:(?:systematic|narrative|brief) )?(?:review|overview|update) (?:of|on)\b|"
    r"\b(?:studies|trials|researchers|scientists) (?:are|were) (?:comparing|investigating|"
    r"testing|studying|evaluating|examining|exploring)\b",
    re.I,
)
_METHOD = re.compile(
    r"\b(were (?:randomi[sz]ed|enrolled|recruited|included|assigned|identified|analy[sz]ed|"
    r"reviewed|collected|measured|followed|divided|selected|interviewed|surveyed|searched)|"
    r"^here,? we (?:measure|use|used|develop|analy[sz]e|perform|test|apply|combine)|"
    r"we (?:reviewed|enrolled|recruited|included|conducted|performed|analy[sz]ed|retrospectively|"
    r"prospectively|used|collected|measured|searched)|a total of \d+ (?:patients|subjects|"
    r"participants|women|men) (?:were|met)|inclusion criteria|data were|was (?:performed|"
    r"conducted|used|measured|assessed|recorded)|were (?:recorded|obtained|performed|used))",
    re.I,
)
_CONCLUSION_CUE = re.compile(
    r"^(?:in conclusion|to conclude|conclusions?|in summary|taken together|overall|these "
    r"(?:results|findings|data) (?:suggest|indicate|show|demonstrate|support)|our (?:results|"
    r"findings|data|study) (?:suggest|indicate|show|demonstrate|support))|\b(?:suggest|indicate|"
    r"demonstrate|conclude|support)s? that\b",
    re.I,
)
_RESULT_CUE = re.compile(
    r"\b(p ?[<=>]|significant|signific|odds ratio|hazard ratio|relative risk|\bOR\b|\bHR\b|\bRR\b|"
    r"95%|ci\b|\d+(?:\.\d+)?\s?%|increased|decreased|reduced|higher|lower|improved|was "
    r"associated|were associated|correlat|no difference|did not|compared with)",
    re.I,
)


def sentence_role(section_label: str, text: str) -> str:
    """'aim', 'method', 'result', 'conclusion' or 'statement' (an undated plain claim)."""
    stripped = text.strip()
    if _AIM.search(stripped):
        return "aim"
    by_section = next((role for pattern, role in _SECTION_ROLES
                       if pattern.search(section_label)), "")
    if _CONCLUSION_CUE.search(stripped):
        return "conclusion"
    if by_section in ("conclusion", "result"):
        return by_section
    if _METHOD.search(stripped):
        return "method"
    if by_section == "method":
        return "method"
    if _RESULT_CUE.search(stripped):
        return "result"
    return "background" if by_section == "background" else "statement"


# How much a role is worth as a finding: conclusions first; aims, methods and background
# context (what was already known before the study) are never shown as findings.
ROLE_WEIGHT = {"conclusion": 1.0, "result": 0.85, "statement": 0.7, "background": 0.0,
               "method": 0.0, "aim": 0.0}
