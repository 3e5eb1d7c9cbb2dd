"""Extractive answer composition: every bullet is a source sentence (or a trimmed span of one).

compose(question, hits) -> Answer. No LLM: sentences are selected, assigned to clinical facets,
de-duplicated and numbered, so each statement is traceable to the sentences it cites.
"""

from __future__ import annotations

import re

from citemed.model import (
    Answer,
    AnswerSection,
    Audience,
    Bullet,
    DirectAnswer,
    Document,
    Hit,
    QuestionType,
    Quote,
    Reference,
    SentenceHit,
)
from citemed.text import tokenize

CLINICIAN_DISCLAIMER = (
    "For healthcare professionals. This page is generated from the sources listed and is "
    "supplementary to clinical judgment and current guidelines; verify against the primary "
    "literature before applying it to patient care. CiteMed accepts no liability for clinical "
    "decisions based on this content."
)

_YESNO_START = re.compile(
    r"^\s*(is|are|was|were|do|does|did|can|could|should|has|have|had|will|would|may|might)\b",
    re.I,
)

FACET_TITLES = {
    "mechanism": "Mechanism",
    "prevalence": "Prevalence",
    "presentation": "Clinical presentation",
    "diagnosis": "Diagnosis",
    "treatment": "Treatment options",
    "prognosis": "Prognosis and impact",
    "prevention": "Prevention and monitoring",
    "limitations": "Limitations of the evidence",
    "pitfalls": "Pitfalls and contraindications",
    "other": "Other findings",
}

_FACET_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("pitfalls", re.compile(r"\b(contraindicat|avoid|should not|must not|caution|adverse|toxicit|interaction)", re.I)),
    ("limitations", re.compile(r"\b(limitation|limited evidence|further (?:research|studies)|small sample|unclear|remains? unknown|insufficient)", re.I)),
    ("mechanism", re.compile(r"\b(mechanism|pathway|mediat|receptor|enzyme|inhibit|pathophysiolog|caused by|due to)", re.I)),
    ("prevalence", re.compile(r"\b(prevalen|incidence|\d+(?:\.\d+)?\s?% of|common|frequency|occur(?:s|red)? in)", re.I)),
    ("presentation", re.compile(r"\b(symptom|sign|present(?:s|ed|ation) with|manifest|pain|stiffness)", re.I)),
    ("diagnosis", re.compile(r"\b(diagnos|test|screen|imaging|biomarker|sensitivity|specificity)", re.I)),
    ("treatment", re.compile(r"\b(treat|therap|dose|mg\b|drug|medication|surgery|intervention|exercise|management)", re.I)),
    ("prognosis", re.compile(r"\b(prognos|mortality|survival|outcome|recurrence|risk of|adherence|discontinu)", re.I)),
    ("prevention", re.compile(r"\b(prevent|monitor|follow-up|surveillance|vaccin|screening interval)", re.I)),
]


def question_type(question: str) -> QuestionType:
    q = question.lower()
    if _YESNO_START.match(question):
        return "yesno"
    if re.search(r"\b(dose|dosage|dosing|how much|how often)\b", q):
        return "dosing"
    if re.search(r"\b(versus|vs\.?|compared|better than|difference between)\b", q):
        return "comparison"
    if re.search(r"\b(treat|therapy|manage|cure|medication for)\b", q):
        return "treatment"
    if re.search(r"\b(diagnos|test for|detect)\b", q):
        return "diagnosis"
    if re.search(r"\b(mechanism|how does|why does|cause)\b", q):
        return "mechanism"
    if re.search(r"\b(prognosis|survival|outcome|life expectancy)\b", q):
        return "prognosis"
    if re.match(r"\s*what (is|are)\b", q):
        return "definition"
    return "other"


def facet_of(text: str) -> str:
    for facet, pattern in _FACET_PATTERNS:
        if pattern.search(text):
            return facet
    return "other"


class _Citations:
    """Reference numbers in order of first appearance; quotes gathered per reference."""

    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}
        self.docs: dict[str, Document] = {}
        self.quotes: dict[str, dict[str, Quote]] = {}

    def cite(self, doc: Document, sentence: SentenceHit) -> int:
        if doc.id not in self.numbers:
            self.numbers[doc.id] = len(self.numbers) + 1
            self.docs[doc.id] = doc
            self.quotes[doc.id] = {}
        self.quotes[doc.id].setdefault(sentence.sentence_id, Quote(
            sentence_id=sentence.sentence_id, section=sentence.section_label,
            text=sentence.text, start=sentence.start, end=sentence.end,
        ))
        return self.numbers[doc.id]

    def references(self) -> list[Reference]:
        refs = []
        for doc_id, number in sorted(self.numbers.items(), key=lambda kv: kv[1]):
            doc = self.docs[doc_id]
            refs.append(Reference(
                number=number, document_id=doc.id, kind=doc.kind, kind_label=doc.kind.label,
                title=doc.title, source=doc.source, year=doc.year, pmid=doc.pmid, doi=doc.doi,
                url=doc.url, quotes=list(self.quotes[doc_id].values()),
            ))
        return refs


def compose(
    question: str,
    hits: list[Hit],
    *,
    audience: Audience = "clinician",
    max_references: int = 8,
    max_bullets_per_section: int = 4,
    min_coverage: float = 0.6,
) -> Answer:
    qtype = question_type(question)
    q_terms = set(tokenize(question))
    candidates: list[tuple[float, Hit, SentenceHit]] = []
    for hit in hits[:max_references]:
        # A document missing most of the question's content is off-topic, however it ranks.
        if hit.signals.get("coverage", 1.0) < min_coverage:
            continue
        for sentence in hit.sentences:
            overlap = len(q_terms & set(tokenize(sentence.text)))
            if overlap:
                candidates.append((sentence.score, hit, sentence))
    if not candidates:
        return _abstain(question, qtype, audience)
    candidates.sort(key=lambda c: -c[0])
    citations = _Citations()
    _, best_hit, best_sentence = candidates[0]
    direct = DirectAnswer(
        text=best_sentence.text,
        verdict="uncertain" if qtype == "yesno" else None,
        citations=[citations.cite(best_hit.document, best_sentence)],
        sentence_ids=[best_sentence.sentence_id],
    )
    sections: dict[str, AnswerSection] = {}
    seen = {best_sentence.text}
    for _, hit, sentence in candidates[1:]:
        if sentence.text in seen:
            continue
        facet = facet_of(sentence.text)
        section = sections.setdefault(facet, AnswerSection(facet=facet, title=FACET_TITLES[facet]))
        if len(section.bullets) >= max_bullets_per_section:
            continue
        seen.add(sentence.text)
        section.bullets.append(Bullet(
            text=sentence.text,
            citations=[citations.cite(hit.document, sentence)],
            sentence_ids=[sentence.sentence_id],
        ))
    ordered = [sections[f] for f in FACET_TITLES if f in sections]
    return Answer(
        question=question, resolved_question=question, question_type=qtype, audience=audience,
        direct_answer=direct, sections=ordered, references=citations.references(),
        disclaimer=CLINICIAN_DISCLAIMER,
    )


def _abstain(question: str, qtype: QuestionType, audience: Audience) -> Answer:
    return Answer(
        question=question, resolved_question=question, question_type=qtype, audience=audience,
        abstained=True,
        direct_answer=DirectAnswer(
            text="The library holds no evidence that addresses this question. Consider ingesting "
                 "guidelines or PubMed abstracts on the topic (citemed ingest PATH).",
            verdict="insufficient" if qtype == "yesno" else None,
        ),
        disclaimer=CLINICIAN_DISCLAIMER,
    )
