"""The data model, in one place.

Evidence side (what the library stores): Document -> Section -> Sentence.
Answer side (what the composer writes): Answer -> AnswerSection -> Bullet, with Reference and Quote.

Evidence objects are slotted dataclasses because ingest creates hundreds of thousands of them;
answer objects are pydantic models because they are the versioned JSON schema that the CLI, the
web API and stored articles all share.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

ANSWER_SCHEMA = "citemed.answer"
# 1.1 added direct_answer.verdict_scores; 1.2 added direct_answer.lead, substitution.at and
# abbreviations; 1.3 the question type "advice" (all additive).
ANSWER_SCHEMA_VERSION = "1.3"


class Kind(StrEnum):
    """Evidence kind, ordered roughly by the weight a clinician gives it."""

    GUIDELINE = "guideline"
    SYSTEMATIC_REVIEW = "systematic_review"
    RANDOMIZED_TRIAL = "randomized_trial"
    OBSERVATIONAL = "observational"
    REVIEW = "review"
    CASE_REPORT = "case_report"
    CONSUMER = "consumer"
    OTHER = "other"

    @property
    def label(self) -> str:
        """Reference-list label shown to readers."""
        return KIND_LABELS[self]


# How much a finding of each kind counts (1 = a guideline): the composer weighs bullets and
# verdicts by it, the retriever's kind prior and the clinician's reference order follow it.
EVIDENCE_WEIGHT: dict[Kind, float] = {
    Kind.GUIDELINE: 1.0, Kind.SYSTEMATIC_REVIEW: 0.95, Kind.RANDOMIZED_TRIAL: 0.9,
    Kind.OBSERVATIONAL: 0.8, Kind.REVIEW: 0.8, Kind.OTHER: 0.75, Kind.CONSUMER: 0.7,
    Kind.CASE_REPORT: 0.6,
}

@dataclass(frozen=True)
class Rule:
    """A named pattern with an example it must match and, where one helps, a near miss it must
    not: the rule tables of compose and audience are data, and their tests read them."""

    name: str
    pattern: re.Pattern[str]
    example: str
    near_miss: str = ""


KIND_LABELS: dict[Kind, str] = {
    Kind.GUIDELINE: "Guideline",
    Kind.SYSTEMATIC_REVIEW: "Systematic review",
    Kind.RANDOMIZED_TRIAL: "Trial",
    Kind.OBSERVATIONAL: "Research",
    Kind.REVIEW: "Review",
    Kind.CASE_REPORT: "Case report",
    Kind.CONSUMER: "Consumer health page",
    Kind.OTHER: "Research",
}


@dataclass(slots=True)
class Sentence:
    """One sentence of a section; start/end are character offsets into the section text."""

    index: int
    start: int
    end: int
    text: str


@dataclass(slots=True)
class Section:
    label: str
    text: str
    sentences: list[Sentence] = field(default_factory=list)


@dataclass(slots=True)
class Document:
    """A citable source. `id` is stable across re-ingests: '<collection>:<local id>'."""

    id: str
    collection: str
    kind: Kind
    title: str
    source: str = ""
    year: int | None = None
    pmid: str | None = None
    doi: str | None = None
    url: str | None = None
    terms: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    # Reader-specific extras worth keeping (grades, developers, question type...).
    extra: dict[str, object] = field(default_factory=dict)

    def content_hash(self) -> str:
        """Hash of everything stored, so a re-ingest of an unchanged record is a no-op.

        Sentence offsets are included, so a change to the sentence splitter reaches stored
        documents on the next ingest. Fields are fed to the hash one by one (not via
        dataclasses.asdict, which deep-copies every sentence and dominated ingest time).
        """
        digest = hashlib.sha256()
        head = [self.id, self.collection, str(self.kind), self.title, self.source, self.year,
                self.pmid, self.doi, self.url, self.terms]
        digest.update(json.dumps(head, ensure_ascii=False).encode("utf-8", "surrogatepass"))
        for section in self.sections:
            digest.update(b"\x1e")
            digest.update(section.label.encode("utf-8", "surrogatepass"))
            digest.update(b"\x1f")
            digest.update(section.text.encode("utf-8", "surrogatepass"))
            digest.update(b"\x1f")
            digest.update(",".join(f"{t.start}:{t.end}" for t in section.sentences).encode())
        digest.update(b"\x1d")
        digest.update(json.dumps(self.extra, sort_keys=True, ensure_ascii=False, default=str)
                      .encode("utf-8", "surrogatepass"))
        return digest.hexdigest()[:32]

    def sentence_id(self, section_index: int, sentence_index: int) -> str:
        return sentence_id(self.id, section_index, sentence_index)

    def iter_sentences(self):
        """Yield (sentence id, section, sentence) in reading order."""
        for s_idx, section in enumerate(self.sections):
            for sentence in section.sentences:
                yield self.sentence_id(s_idx, sentence.index), section, sentence


def sentence_id(document_id: str, section_index: int, sentence_index: int) -> str:
    """Stable sentence id: '<document id>#<section>.<sentence>'."""
    return f"{document_id}#{section_index}.{sentence_index}"


def parse_sentence_id(sid: str) -> tuple[str, int, int]:
    doc_id, _, pos = sid.rpartition("#")
    section, _, sentence = pos.partition(".")
    return doc_id, int(section), int(sentence)


# ---------------------------------------------------------------- retrieval results


@dataclass(slots=True)
class SentenceHit:
    sentence_id: str
    section_label: str
    text: str
    start: int
    end: int
    score: float


@dataclass(slots=True)
class Hit:
    """A ranked document with its best matching sentences."""

    document: Document
    score: float
    rank: int
    sentences: list[SentenceHit] = field(default_factory=list)
    # Per-signal scores (bm25, dense, prior...) for explanations and evaluation.
    signals: dict[str, float] = field(default_factory=dict)


# ---------------------------------------------------------------- answers (JSON schema)

QuestionType = Literal[
    "yesno", "treatment", "diagnosis", "mechanism", "prognosis", "dosing", "comparison",
    "definition", "advice", "other",
]
Verdict = Literal["yes", "no", "uncertain", "insufficient"]
# Which of the question's concepts the quoted passages must name before a yes/no verdict is
# given: "every" concept of at least median weight and the most specific one; the most specific
# one and each concept of the question's subject of at least median weight ("subject":
# "vaccination" in "Is HPV vaccination effective ...?"); only the most specific ("focus"); or
# "none" (the reader's relevance gate alone decides).
VerdictConcepts = Literal["every", "subject", "focus", "none"]
# Which questions abstain when no quoted passage names their most specific concept (or, under
# the subject rule, a key concept of a yes/no question's subject): none
# ("off"), yes/no and advice questions ("closed": a page with no verdict, or advice, built on
# passages about something else), or every question ("all").
FocusAbstains = Literal["off", "closed", "all"]
# The verdict as a reader sees it, on every page (Markdown, text, HTML).
VERDICT_LABELS: dict[str, str] = {
    "yes": "Yes", "no": "No", "uncertain": "Uncertain", "insufficient": "Not enough evidence",
}
Audience = Literal["clinician", "patient"]
Facet = Literal[
    "answer", "mechanism", "prevalence", "presentation", "diagnosis", "treatment",
    "prognosis", "prevention", "limitations", "pitfalls", "other", "risk",
]


class Quote(BaseModel):
    """An exact source sentence a citation stands on; re-readable from the store by id."""

    sentence_id: str
    section: str
    text: str
    start: int
    end: int


class Substitution(BaseModel):
    """A wording change made for the reader; the quoted source stays untouched.

    `at` is where `original` started in the text at the moment of the change (changes apply in
    list order), so the extracted text can be restored mechanically (`extracted_text`).
    Documents from before schema 1.2 have no `at`.
    """

    original: str
    replacement: str
    at: int | None = None


def is_capitalisation(substitution: Substitution) -> bool:
    """A recorded change of the first letter's case only ("the" -> "The")."""
    return (substitution.original != substitution.replacement
            and substitution.original.lower() == substitution.replacement.lower())


def extracted_text(text: str, substitutions: list[Substitution]) -> str | None:
    """`text` as it was extracted from its source sentence, before the recorded changes.

    Positioned changes are undone last to first; None when one does not fit the text (the
    wording was changed without a record). Changes without a position (stored answers from
    before 1.2) can only be a capitalisation of the first letter: the composer trims
    "Furthermore, the ..." to "the ..."; the display starts it "The ...".
    """
    if substitutions and all(s.at is not None for s in substitutions):
        for sub in reversed(substitutions):
            at = sub.at or 0
            if text[at:at + len(sub.replacement)] != sub.replacement:
                return None
            text = text[:at] + sub.original + text[at + len(sub.replacement):]
        return text
    if text and any(is_capitalisation(s) for s in substitutions):
        return text[0].lower() + text[1:]
    return text


class Bullet(BaseModel):
    text: str
    citations: list[int] = Field(default_factory=list)
    # Sentence ids the text was taken from, so traceability can be checked mechanically.
    sentence_ids: list[str] = Field(default_factory=list)
    substitutions: list[Substitution] = Field(default_factory=list)
    children: list[Bullet] = Field(default_factory=list)
    # Set by the article workflow when a person rewords the bullet ("Dr X (reviewer)"), so the
    # page can show that the wording is no longer the extracted source text.
    edited_by: str = ""
    note: str = ""  # a reviewer's or editor's note shown under the bullet


class AnswerSection(BaseModel):
    facet: Facet
    title: str
    bullets: list[Bullet] = Field(default_factory=list)


class Reference(BaseModel):
    number: int
    document_id: str
    kind: Kind
    kind_label: str
    title: str
    source: str = ""
    year: int | None = None
    pmid: str | None = None
    doi: str | None = None
    url: str | None = None
    quotes: list[Quote] = Field(default_factory=list)


class EvidenceSummary(BaseModel):
    supporting: int = 0
    opposing: int = 0
    neutral: int = 0


class DirectAnswer(BaseModel):
    text: str
    # The verdict in plain words for the reader ("Probably yes."), written by CiteMed from
    # `verdict` alone: it adds no claim and is not part of the traceable `text`.
    lead: str = ""
    verdict: Verdict | None = None
    # Pooled stance probabilities (yes / no / maybe) behind the verdict; empty otherwise.
    verdict_scores: dict[str, float] = Field(default_factory=dict)
    citations: list[int] = Field(default_factory=list)
    sentence_ids: list[str] = Field(default_factory=list)
    substitutions: list[Substitution] = Field(default_factory=list)


class Abbreviation(BaseModel):
    """A short form used on the page and its long form, verbatim from a cited document."""

    short_form: str
    long_form: str
    document_id: str


class Generation(BaseModel):
    library_version: str = ""
    engine_version: str = ""
    mode: str = "extractive"
    settings: dict[str, object] = Field(default_factory=dict)
    elapsed_ms: float = 0.0
    created_at: str = ""


class Answer(BaseModel):
    schema_name: str = Field(default=ANSWER_SCHEMA, alias="schema")
    schema_version: str = ANSWER_SCHEMA_VERSION
    question: str
    # The question actually answered, after follow-up resolution (equals `question` otherwise).
    resolved_question: str = ""
    question_type: QuestionType = "other"
    audience: Audience = "clinician"
    abstained: bool = False
    direct_answer: DirectAnswer
    sections: list[AnswerSection] = Field(default_factory=list)
    references: list[Reference] = Field(default_factory=list)
    evidence_summary: EvidenceSummary | None = None
    disclaimer: str = ""
    notices: list[str] = Field(default_factory=list)
    reading_grade: float | None = None
    # Patient view: the short forms its statements use, as the cited documents define them.
    abbreviations: list[Abbreviation] = Field(default_factory=list)
    generation: Generation = Field(default_factory=Generation)

    model_config = {"populate_by_name": True}

    def to_json(self, indent: int | None = 2) -> str:
        return self.model_dump_json(by_alias=True, indent=indent)

    def all_bullets(self) -> list[Bullet]:
        out: list[Bullet] = []
        for section in self.sections:
            stack = list(section.bullets)
            while stack:
                bullet = stack.pop(0)
                out.append(bullet)
                stack[0:0] = bullet.children
        return out
