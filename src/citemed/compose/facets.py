"""Clinical facets of evidence sentences, and each sentence's role in its abstract.

A facet says what a sentence is about (mechanism, treatment, pitfalls...); a role says what it
does in the abstract (states the aim, describes methods, reports a result, concludes). Only
results and conclusions are findings: an aim or a method is never shown as a bullet.
"""

from __future__ import annotations

import re

from citemed.model import Rule

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
FACET_CUES: tuple[Rule, ...] = (
    Rule("pitfalls", re.compile(r"\b(contraindicat|avoid|should not|must not|do not (?:use|take)|don.t (?:use|take)|caution|adverse (?:event|effect|reaction)|toxicit|interact(?:ion|s) with|harm)", re.I),
         "Metformin is contraindicated in severe renal impairment."),
    Rule("limitations", re.compile(r"\b(limitation|limited (?:evidence|data)|further (?:research|studies|stud)|larger (?:studies|trials)|small sample|remains? (?:unclear|unknown|controversial)|not well (?:studied|understood|established)|poorly understood|insufficient evidence|more research|needs? to be (?:confirmed|validated)|warrant)", re.I),
         "Further research is needed to confirm these results."),
    Rule("prevention", re.compile(r"\b(prevent|prophyla|reduces? the (?:incidence|likelihood|risk)|lower(?:s|ed)? the risk|monitor|follow-up|surveillance|vaccin|screening)", re.I),
         "Vaccination reduces the risk of cervical cancer."),
    Rule("treatment", re.compile(r"\b(treat|therap|dose|dosage|mg\b|medication|surger|intervention|exercise|management|efficac|first-line|randomi[sz]ed to|placebo|administ|should be offered|comedication|supplement)", re.I),
         "Colchicine is an effective treatment for acute gout.",
         near_miss="The patients took 5 mgs daily."),
    Rule("diagnosis", re.compile(r"\b(diagnos|sensitivity|specificity|accuracy|biomarker|imaging|detect|positive predictive|ROC|area under)", re.I),
         "Ultrasound has a sensitivity of 90% for gallstones."),
    Rule("prognosis", re.compile(r"\b(prognos|mortality|survival|outcome|recurrence|adherence|discontinu|compliance|quality of life|predict)", re.I),
         "Five-year survival after resection is 20%."),
    Rule("prevalence", re.compile(r"\b(prevalen|incidence|frequency|\d+(?:\.\d+)?\s?% of (?:the )?(?:patients|women|men|participants|subjects|children|cases)|reported by|affect(?:s|ed)? (?:up to|about|approximately))", re.I),
         "Gout affects about 4% of adults.", near_miss="Gout affects the big toe."),
    Rule("mechanism", re.compile(r"\b(mechanism|pathway|mediat|pathophysiolog|pathogenes|signal(?:l)?ing|deprivation|deficiency|caused by|due to|leads? to|induces?|activat|inhibit(?:s|ed|ion) (?:of )?the)", re.I),
         "Vitamin D deficiency leads to bone loss."),
    Rule("risk", re.compile(r"\b(risk factor|at (?:an? )?(?:increased|higher|lower|reduced) risk|(?:less|more) likely to (?:develop|have|experience)|associated with|association (?:between|with)|odds ratio|correlat|linked to|had (?:more|fewer) (?:patients|cases|women|men|participants))", re.I),
         "Smoking is a risk factor for rheumatoid arthritis.", near_miss="The risk was small."),
    Rule("presentation", re.compile(r"\b(symptom|sign|present(?:s|ed|ation) with|manifest|pain|stiffness|arthralgia|myalgia|fatigue|complain)", re.I),
         "Joint pain and morning stiffness are common in gout."),
)


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
    for rule in FACET_CUES:
        if rule.pattern.search(text):
            facet = rule.name
            # A sentence that says what is done ("Doctors may prescribe X to treat ...") keeps
            # that facet on any care page; the research page's topic still wins.
            if facet in _WARNING_FACETS or page_facet is None or (
                    facet in _CARE_ACTIONS and page_topic != "research"):
                return facet
            break
    return page_facet or "other"


# ---------------------------------------------------------------- roles

# A section label names the role of its sentences; the first match wins.
SECTION_ROLES: tuple[Rule, ...] = (
    Rule("conclusion", re.compile(r"conclu|interpretation|implication|summary|discussion|recommend", re.I), "CONCLUSIONS"),
    Rule("result", re.compile(r"result|finding|outcome", re.I), "Main outcome measures and results"),
    Rule("method", re.compile(r"method|design|setting|patients|participants|subjects|materials|intervention|measure|procedure|population", re.I), "PATIENTS AND METHODS"),
    Rule("background", re.compile(r"objective|aim|purpose|background|introduction|context|hypothes|rationale|question", re.I), "BACKGROUND"),
)

# A sentence's own wording names its role whatever its section: each cue table is one pattern
# (any row matches), read in sentence_role's order aim, conclusion, method, result.
AIM_CUES: tuple[Rule, ...] = (
    Rule("aim statement", re.compile(r"^(?:the |our )?(?:aims?|objectives?|purposes?|goals?)\b", re.I),
         "The aim of this study was to compare two doses.", near_miss="Our goalkeeper was injured."),
    Rule("this study aims", re.compile(
        r"^(?:this|the present|the current|our) (?:study|trial|review|analysis|paper|work|report|article)\s+"
        r"(?:aims?|aimed|was designed|sought|seeks|investigat|examin|evaluat|assess|explor|describ|review|"
        r"compar|determin|focus|present)", re.I),
         "This study evaluated the effect of exercise on knee pain.",
         near_miss="This study found less knee pain with exercise."),
    Rule("we aimed", re.compile(
        r"^we (?:aimed|sought|set out|investigated|examined|evaluated|assessed|explored|hypothesi[sz]ed|"
        r"describe|present|report (?:a|the) case)", re.I),
         "We sought to identify predictors of relapse.", near_miss="We found no predictor of relapse."),
    Rule("to determine", re.compile(
        r"^to (?:determine|evaluate|assess|investigate|examine|compare|explore|describe|identify)\b", re.I),
         "To determine whether zinc shortens colds."),
    Rule("in this study we", re.compile(
        r"^in (?:this|the present|the current|our) (?:study|trial|work|paper),? we (?:observed|investigated|"
        r"examined|evaluated|assessed|explored|studied|describe|report)\b", re.I),
         "In this study, we investigated sleep in shift workers."),
    Rule("review of", re.compile(
        r"^(?:an? )?(?:(?:systematic|narrative|brief) )?(?:review|overview|update) (?:of|on)\b", re.I),
         "A systematic review of statins in older adults."),
    Rule("studies under way", re.compile(
        r"\b(?:studies|trials|researchers|scientists) (?:are|were) (?:comparing|investigating|testing|"
        r"studying|evaluating|examining|exploring)\b", re.I),
         "Researchers are testing a new vaccine for malaria."),
)
METHOD_CUES: tuple[Rule, ...] = (
    Rule("were randomised", re.compile(
        r"\b(?:were (?:randomi[sz]ed|enrolled|recruited|included|assigned|identified|analy[sz]ed|reviewed|"
        r"collected|measured|followed|divided|selected|interviewed|surveyed|searched))", re.I),
         "Patients were randomised to two groups."),
    Rule("here we used", re.compile(
        r"\b(?:^here,? we (?:measure|use|used|develop|analy[sz]e|perform|test|apply|combine))", re.I),
         "Here, we used a mouse model of colitis."),
    Rule("we enrolled", re.compile(
        r"\b(?:we (?:reviewed|enrolled|recruited|included|conducted|performed|analy[sz]ed|retrospectively|"
        r"prospectively|used|collected|measured|searched))", re.I),
         "We enrolled 120 adults with asthma."),
    Rule("a total of", re.compile(
        r"\b(?:a total of \d+ (?:patients|subjects|participants|women|men) (?:were|met))", re.I),
         "A total of 250 patients met the criteria."),
    Rule("inclusion criteria", re.compile(r"\b(?:inclusion criteria)", re.I),
         "Inclusion criteria were age over 18 and asthma."),
    Rule("data were", re.compile(r"\b(?:data were)", re.I), "Data were analysed with SPSS."),
    Rule("was performed", re.compile(
        r"\b(?:was (?:performed|conducted|used|measured|assessed|recorded))", re.I),
         "Spirometry was performed at baseline."),
    Rule("were recorded", re.compile(r"\b(?:were (?:recorded|obtained|performed|used))", re.I),
         "Blood pressures were recorded weekly."),
)
# Sentences about the publication, not the evidence: journal supplements, copyright and
# licence lines, funding and conflict statements. They are never findings, and a word they
# name ("Vaccine" as a journal title) must not count as the evidence naming it.
PUBLICATION_CUES: tuple[Rule, ...] = (
    Rule("supplement or issue", re.compile(
        r"\b(?:this|the) (?:article|paper|review) (?:forms?|is) (?:a )?part of (?:a|the) "
        r"(?:special )?(?:supplement|issue|series)", re.I),
         'This article forms part of a special supplement entitled "Control of HPV".',
         near_miss="This trial is part of a national screening programme."),
    Rule("copyright", re.compile(
        r"(?:\bcopyright\b|©|\(c\) \d{4}|all rights reserved|published by (?:elsevier|"
        r"wiley|springer|john wiley))", re.I),
         "Copyright 2012 Elsevier Ltd. All rights reserved."),
    Rule("licence", re.compile(
        r"\b(?:this is an open access article|distributed under the terms of the creative "
        r"commons|licensed under)", re.I),
         "This is an open access article distributed under the terms of the Creative Commons."),
    Rule("conflicts and funding", re.compile(
        r"\b(?:the authors? (?:declare|report|have) (?:no|any)|conflicts? of interest|competing "
        r"interests?|this (?:study|work|research) was (?:funded|supported) by)", re.I),
         "The authors declare no conflicts of interest."),
)
CONCLUSION_CUES: tuple[Rule, ...] = (
    Rule("concluding opening", re.compile(
        r"^(?:in conclusion|to conclude|conclusions?|in summary|taken together|overall)", re.I),
         "In conclusion, zinc shortens colds by a day."),
    Rule("these results suggest", re.compile(
        r"^(?:these (?:results|findings|data) (?:suggest|indicate|show|demonstrate|support)|our "
        r"(?:results|findings|data|study) (?:suggest|indicate|show|demonstrate|support))", re.I),
         "These findings support early surgery for appendicitis."),
    Rule("suggests that", re.compile(r"\b(?:suggest|indicate|demonstrate|conclude|support)s? that\b", re.I),
         "Evidence suggests that zinc shortens colds.",
         near_miss="Evidence on zinc for colds is suggestive."),
)
RESULT_CUES: tuple[Rule, ...] = (
    Rule("statistic", re.compile(
        r"\b(?:p ?[<=>]|significant|signific|odds ratio|hazard ratio|relative risk|\bOR\b|\bHR\b|\bRR\b|"
        r"95%|ci\b|\d+(?:\.\d+)?\s?%)", re.I),
         "Pain fell in the exercise arm (p < 0.01)."),
    Rule("change or comparison", re.compile(
        r"\b(?:increased|decreased|reduced|higher|lower|improved|was associated|were associated|"
        r"correlat|no difference|did not|compared with)", re.I),
         "Pain was lower in the exercise group."),
)


def _any_of(rules: tuple[Rule, ...]) -> re.Pattern[str]:
    """One pattern that matches where any of `rules` does (all are case-insensitive)."""
    return re.compile("|".join(f"(?:{rule.pattern.pattern})" for rule in rules), re.I)


_AIM = _any_of(AIM_CUES)
_PUBLICATION = _any_of(PUBLICATION_CUES)
_METHOD = _any_of(METHOD_CUES)
_CONCLUSION_CUE = _any_of(CONCLUSION_CUES)
_RESULT_CUE = _any_of(RESULT_CUES)


def sentence_role(section_label: str, text: str) -> str:
    """'aim', 'method', 'result', 'conclusion', 'publication' (about the paper, not the
    evidence) or 'statement' (an undated plain claim)."""
    stripped = text.strip()
    if _PUBLICATION.search(stripped):
        return "publication"
    if _AIM.search(stripped):
        return "aim"
    by_section = next((rule.name for rule in SECTION_ROLES
                       if rule.pattern.search(section_label)), "")
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
               "method": 0.0, "aim": 0.0, "publication": 0.0}
