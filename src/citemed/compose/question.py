"""Question analysis: what kind of question this is, what it is about, and the section plan.

The type decides the page's shape (a treatment question leads with treatment options and ends
with pitfalls; a mechanism question leads with mechanism); the concept terms decide relevance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import cast

from citemed.model import QuestionType, Rule
from citemed.text import STOPWORDS, raw_tokens, tokenize

_AUX = (r"(is|are|was|were|do|does|did|can|could|should|has|have|had|will|would|may|might|"
        r"must|shall)")
_YESNO_START = re.compile(rf"^\s*{_AUX}\b", re.I)
# Title-style questions put the yes/no clause after a colon or dash: "X: is Y the key?"
_YESNO_CLAUSE = re.compile(rf"(?:[.:;,?]|\s-+|-{{2}}|\u2013|\u2014)\s*(?:and |but |so |or )?{_AUX}\b",
                           re.I)
_WH_START = re.compile(r"^\s*(what|which|how|why|when|where|who|whom|whose|list|name|describe)\b",
                       re.I)

# Topic cues, checked in this order: the first that matches names the clinical intent.
TOPIC_RULES: tuple[Rule, ...] = (
    Rule("dosing", re.compile(r"\b(dose|doses|dosage|dosing|how much|how often|mg|titrat)", re.I),
         "What dose of vitamin D should adults take?", near_miss="What is radiation dosimetry?"),
    Rule("comparison", re.compile(r"\b(versus|vs\.?|compared (?:to|with)|better than|superior to|inferior to|difference between)", re.I),
         "Is metformin better than sulfonylureas in type 2 diabetes?"),
    Rule("treatment", re.compile(r"\b(treat|therap|manage|management|cure|medication|drug for|first-line|intervention|efficacy|effective|help|relieve|improve|benefit|work for)", re.I),
         "What is the first-line treatment of gout?", near_miss="Is a retreat in the mountains restful?"),
    Rule("diagnosis", re.compile(r"\b(diagnos|test for|detect|screen|sensitivity|specificity|biomarker|imaging)", re.I),
         "How is coeliac disease diagnosed?"),
    Rule("mechanism", re.compile(r"\b(mechanism|pathophysiolog|how does|why does|why do|caus|pathway|mediat)", re.I),
         "What is the mechanism of aspirin resistance?"),
    Rule("prognosis", re.compile(r"\b(prognos|survival|mortality|outcome|life expectancy|recurrence|predict)", re.I),
         "What is the survival of pancreatic cancer?"),
)

# The facet an open question asks for, checked in this order ("What are the side effects of
# X?" wants pitfalls first, "How is X diagnosed?" diagnosis). Yes/no questions keep the facet
# of their clinical intent instead: "Does X cause Y?" is weighed as a whole.
INTENT_FACET_RULES: tuple[Rule, ...] = (
    Rule("pitfalls", re.compile(r"\b(side[- ]effects?|adverse|toxicit|safe|safety|contraindicat|"
                                r"interact|harm|dangers?|warnings?)", re.I),
         "What are the side effects of metformin?"),
    Rule("prevalence", re.compile(r"\b(how common|how many|prevalen|incidence|frequency|how often "
                                  r"does .* occur)", re.I),
         "How common is gout in women?"),
    Rule("risk", re.compile(r"\b(risk factors?|who is at risk|at risk for|who gets|more likely to "
                            r"get)", re.I),
         "What are the risk factors for glaucoma?"),
    Rule("prevention", re.compile(r"\b(prevent|avoid getting|lower (?:my|the) risk|reduce (?:my|the) "
                                  r"risk)", re.I),
         "How can migraine be prevented?"),
    Rule("presentation", re.compile(r"\b(symptoms?|signs? of|presentation|present with|look like|"
                                    r"feel like)", re.I),
         "What are the symptoms of Lyme disease?"),
    Rule("diagnosis", re.compile(r"\b(diagnos|test(?:s|ed|ing)? for|detect|screen)", re.I),
         "How is coeliac disease diagnosed?", near_miss="What is the latest test result?"),
    Rule("treatment", re.compile(r"\b(treat|therap|manag|cure|medication for|drugs? for|"
                                 r"first-line|relieve|dose|dosage|dosing)", re.I),
         "How is gout treated?"),
    Rule("prognosis", re.compile(r"\b(outlook|prognos|survival|life expectancy|recurrence|"
                                 r"complications?|long-term)", re.I),
         "What is the outlook for people with ALS?"),
    Rule("mechanism", re.compile(r"\b(caus|why does|why do|mechanism|pathophysiolog|how does .* "
                                 r"work|pathway)", re.I),
         "What causes gout?"),
)
_TOPIC_FACET = {"treatment": "treatment", "dosing": "treatment", "diagnosis": "diagnosis",
                "mechanism": "mechanism", "prognosis": "prognosis"}

# Question words that carry no topic: they must not count towards relevance.
_GENERIC = frozenset(tokenize(
    "linked link associated association related relation relationship effect effects affect "
    "impact role cause causes caused due influence factor factors patient patients people "
    "study evidence use used using useful help helps treatment treated risk increase "
    "increased decrease reduced reduce better worse good bad new common possible true really "
    "predict predictor predictive improve improves lead leads result results type types "
    "clinical difference different significant significantly induced related first second "
    "third line option options best recommended recommendation management manage therapy "
    "therapies drug drugs medication medications dose doses approach approaches strategy "
    "strategies available current currently main major usual standard involved involvement "
    "involve contribute contributes implicated take taken taking given non"
))


# Generic words that only frame a question; a sentence repeating them answers nothing better.
_QUESTION_WORDS = frozenset(tokenize("linked link associated association related relation "
                                     "relationship effect effects affect patient patients people "
                                     "study evidence use used using true really possible"))


# Qualifiers that change the claim a yes/no question makes: "Is metformin first-line therapy?"
# is not answered by passages on metformin therapy that never say first-line. The question's
# words are generic (no concepts), so a verdict needs a quoted passage matching the same row;
# the near miss is a passage that does not.
CLAIM_QUALIFIERS: tuple[Rule, ...] = (
    Rule("first-line", re.compile(r"\bfirst[- ]?line\b|\binitial (?:therapy|treatment)\b", re.I),
         "Is metformin first-line therapy for type 2 diabetes?",
         near_miss="Metformin lowered HbA1c compared with placebo."),
    Rule("second-line", re.compile(r"\bsecond[- ]?line\b", re.I),
         "Is a DPP-4 inhibitor a good second-line drug after metformin?",
         near_miss="A DPP-4 inhibitor was added to metformin."),
    Rule("long-term", re.compile(r"\blong[- ]term\b|\bprolonged\b|\bchronic use\b", re.I),
         "Is long-term proton pump inhibitor use safe?",
         near_miss="Proton pump inhibitors heal reflux oesophagitis."),
    Rule("low-dose", re.compile(r"\blow[- ]dose\b|\blow doses?\b", re.I),
         "Can low-dose aspirin be taken during pregnancy to prevent preeclampsia?",
         near_miss="Aspirin reduced the risk of colorectal cancer."),
    Rule("high-dose", re.compile(r"\bhigh[- ]dose\b|\bhigh doses?\b", re.I),
         "Is high-dose vitamin D effective for preventing falls?",
         near_miss="Vitamin D was given at 800 IU per day."),
)


# "What should I do" questions: a person describing their own or their family's situation.
ADVICE_RULES: tuple[Rule, ...] = (
    Rule("what should I do", re.compile(r"\bwhat (?:should|can|do) (?:i|we)\b|"
                                        r"\bwhat to do\b", re.I),
         "My child has a fever of 39 C and a stiff neck, what should I do?"),
    Rule("should I", re.compile(r"\b(?:should|can|could|do) (?:i|we) (?:take|give|go|see|stop|"
                                r"start|call|use|worry|be worried)\b", re.I),
         "Should I go to the hospital for my chest pain?"),
    Rule("my own situation", re.compile(r"^\s*(?:i(?:'m| am| have| was| got)|my (?:\w+ ){0,2}"
                                        r"(?:has|have|is|was|had|keeps|gets|got))\b", re.I),
         "My son has had diarrhoea for three days."),
)


@dataclass(frozen=True)
class QuestionAnalysis:
    text: str
    qtype: QuestionType
    # The clinical intent behind a yes/no question ("does X treat Y" -> treatment).
    topic: QuestionType
    # Stemmed content terms (question words and generic verbs removed), in question order.
    concepts: tuple[str, ...]
    # The facet whose sentences answer the question ("" when none stands out).
    intent_facet: str = ""
    # Generic words of the question ("first-line", "dose"): no concepts, but they rank.
    qualifiers: frozenset[str] = frozenset()
    # The CLAIM_QUALIFIERS rows the question makes (the quoted passages must state them too).
    claims: tuple[Rule, ...] = ()
    # A yes/no question's subject concepts (`subject_concepts`).
    subject: tuple[str, ...] = ()

    @property
    def is_yesno(self) -> bool:
        return self.qtype == "yesno"


def question_type(question: str) -> QuestionType:
    return analyze_question(question).qtype


def is_advice(question: str) -> bool:
    """Does the question ask what this person should do about their own situation?"""
    return any(rule.pattern.search(question) for rule in ADVICE_RULES)


def analyze_question(question: str) -> QuestionAnalysis:
    topic = _topic(question)
    qtype: QuestionType
    if is_advice(question):
        # Advice about someone's own situation is never answered "yes" or "no" from studies.
        qtype = "advice"
    # A claim put as a question ("Aripiprazole: a new risk factor for gambling?") is yes/no too.
    elif _YESNO_START.match(question) or (not _WH_START.match(question) and (
            _YESNO_CLAUSE.search(question) or question.rstrip().endswith("?"))):
        qtype = "yesno"
    elif topic != "other":
        qtype = topic
    elif re.match(r"\s*what (is|are)\b", question, re.I):
        qtype = "definition"
    else:
        qtype = "other"
    concepts = _concepts(question)
    qualifiers = frozenset(t for t in concept_tokens(question) if t in _GENERIC
                           and t not in _QUESTION_WORDS)
    yesno = qtype == "yesno"
    return QuestionAnalysis(
        text=question, qtype=qtype, topic=topic, concepts=concepts,
        intent_facet=_intent_facet(question, qtype, topic), qualifiers=qualifiers,
        claims=tuple(r for r in CLAIM_QUALIFIERS if r.pattern.search(question)),
        subject=subject_concepts(question) if yesno else ())


def _intent_facet(question: str, qtype: QuestionType, topic: QuestionType) -> str:
    if qtype != "yesno":
        for rule in INTENT_FACET_RULES:
            if rule.pattern.search(question):
                return rule.name
    return _TOPIC_FACET.get(topic, "")


def _topic(question: str) -> QuestionType:
    for rule in TOPIC_RULES:
        if rule.pattern.search(question):
            return cast(QuestionType, rule.name)
    return "other"


def concept_tokens(text: str) -> list[str]:
    """Stemmed tokens in order, hyphenated compounds as their parts ("AI-induced" -> ai, induc)."""
    words = [part for token in raw_tokens(text) for part in token.split("-") if part]
    return tokenize(" ".join(words))


def concept_words(question: str) -> dict[str, str]:
    """Stemmed concept -> the question's own word for it (for messages to the reader)."""
    words: dict[str, str] = {}
    for token in raw_tokens(question):
        for part in token.split("-"):
            for stem in tokenize(part):
                words.setdefault(stem, part)
    return words


def _concepts(question: str) -> tuple[str, ...]:
    out: list[str] = []
    for stem in concept_tokens(question):
        if _is_concept(stem) and stem not in out:
            out.append(stem)
    return tuple(out)


def _is_concept(stem: str) -> bool:
    # Numbers and doses ("40mg") are details of a claim, not what it is about.
    return stem not in _GENERIC and not stem[:1].isdigit()


# Words that end the subject of a yes/no question ("Is HPV vaccination | effective ...?"): the
# predicate's adjectives and the prepositions that start its complements.
_SUBJECT_ENDS = frozenset(raw_tokens(
    "effective efficacious safe useful beneficial superior inferior better worse more less "
    "common rare necessary required present able likely possible sufficient associated "
    "in for with during after before to on at as than by from among versus vs into within "
    "without against via under over"))


def subject_concepts(question: str) -> tuple[str, ...]:
    """The concepts of a yes/no question's subject, the noun phrase after its auxiliary verb:
    "Is HPV vaccination effective in preventing cervical cancer?" -> hpv, vaccin. A verdict
    is about the subject, so evidence that never names it answers another question."""
    words = raw_tokens(question)
    if not words or not _YESNO_START.match(words[0]):
        return ()
    out: list[str] = []
    for word in words[1:]:
        stems = concept_tokens(word)
        if word in _SUBJECT_ENDS or (out and (
                (word in STOPWORDS and word != "and") or any(s in _GENERIC for s in stems)
                or (len(word) > 5 and word.endswith("ed")))):
            break
        out.extend(s for s in stems if _is_concept(s) and s not in out)
    return tuple(out)


# Section order per question type; facets not listed keep the default order after these.
DEFAULT_ORDER = (
    "answer", "mechanism", "risk", "prevalence", "presentation", "diagnosis", "treatment",
    "prognosis", "prevention", "other", "limitations", "pitfalls",
)
_LEADS: dict[str, tuple[str, ...]] = {
    "treatment": ("answer", "treatment", "prevention", "prognosis"),
    "dosing": ("answer", "treatment", "pitfalls"),
    "mechanism": ("answer", "mechanism", "presentation"),
    "diagnosis": ("answer", "diagnosis", "presentation"),
    "prognosis": ("answer", "prognosis", "prevalence"),
    "comparison": ("answer", "treatment", "prognosis"),
}


def section_plan(analysis: QuestionAnalysis) -> tuple[str, ...]:
    """Facet order for the page: the question's own facet first; pitfalls last, unless they
    are what the question asks about ("What are the side effects of X?")."""
    lead = _LEADS.get(analysis.qtype) or _LEADS.get(analysis.topic) or ("answer",)
    if analysis.intent_facet and analysis.intent_facet not in lead:
        lead = ("answer", analysis.intent_facet, *lead[1:])
    last = () if analysis.intent_facet == "pitfalls" else ("pitfalls",)
    rest = [f for f in DEFAULT_ORDER if f not in lead and f not in last]
    return (*[f for f in lead if f not in last], *rest, *last)
