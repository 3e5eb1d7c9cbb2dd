"""Reader modes: the same cited answer worded for a clinician or for a patient.

adapt(answer, audience) never touches quotes or citations' sentence ids: it rewrites the
displayed wording (recording every change in `substitutions`), trims the patient view, measures
the reading grade and adds urgent-care notices for red-flag questions.
"""

from __future__ import annotations

import re

from citemed.audience.readability import flesch_kincaid_grade
from citemed.audience.redflags import urgent_notices
from citemed.audience.vocabulary import build_vocabulary
from citemed.model import Answer, Audience, Bullet, Kind, Substitution
from citemed.text import tokenize

PATIENT_DISCLAIMER = (
    "This page explains published research in plain words. It is general information, not "
    "advice about your own health. Talk with your doctor, nurse or pharmacist before you start, "
    "stop or change any treatment."
)
PATIENT_SECTION_TITLES = {
    "answer": "The short answer",
    "mechanism": "Why it happens",
    "prevalence": "How common it is",
    "presentation": "Signs and symptoms",
    "diagnosis": "How it is found",
    "treatment": "Treatment options",
    "prognosis": "What to expect",
    "prevention": "Prevention and check-ups",
    "limitations": "What is not known yet",
    "pitfalls": "Cautions",
    "other": "More findings",
}
PATIENT_MAX_BULLETS = 3
PATIENT_MAX_SECTIONS = 5
READING_GRADE_TARGET = 8.0
READING_SWAP_GAIN = 2.0

# Statistical asides a lay reader does not need: "(95% CI 1.1-2.3)", "(p < 0.001)", "(n = 40)",
# "[OR 2.1]". Only whole bracketed asides are removed, never words of the sentence itself.
_STATS_ASIDE = re.compile(
    r"\s*[(\[][^()\[\]]*?(?:\bCI\b|\bp\s*[<=>≤]|\b[OHR]R\s*[=:]?\s*\d|\bn\s*=|\bSD\b|\bIQR\b|"
    r"\bSE\b|±|\bAUC\b|\bkappa\b|\br\s*=|=\s*\d)[^()\[\]]*[)\]]",
    re.I,
)


# Clause joints where one long sentence reads as two whole sentences; the words stay the same.
# Only ";" and ", however," qualify: "but"/"although" would leave fragments. Joints inside
# brackets are skipped (see _top_level).
_CLAUSE_JOINT = re.compile(r";\s*(\w+)|,\s+(however\b)", re.I)
# "(DBE)": an abbreviation introduced in brackets; dropped when the sentence never uses it again.
_ABBREVIATION = re.compile(r"\s\(([A-Z][A-Za-z0-9-]{1,9})\)")


def _top_level(text: str, position: int) -> bool:
    """True when `position` is outside any (...) or [...] in `text`."""
    before = text[:position]
    return before.count("(") <= before.count(")") and before.count("[") <= before.count("]")


class Rewriter:
    """Plain-word rewriting with a record of each change."""

    def __init__(self, vocabulary: dict[str, str]) -> None:
        self.vocabulary = vocabulary
        terms = sorted(vocabulary, key=len, reverse=True)
        # Longest terms first so "myocardial infarction" wins over "infarction"; an optional
        # plural "s"; skip a term already glossed in brackets right after it.
        self._pattern = re.compile(
            r"\b(" + "|".join(re.escape(t) for t in terms) + r")(s?)\b(?!\s*\()", re.I,
        ) if terms else None

    def rewrite(self, text: str) -> tuple[str, list[Substitution]]:
        substitutions: list[Substitution] = []

        def record(original: str, replacement: str) -> None:
            sub = Substitution(original=original, replacement=replacement)
            if sub not in substitutions:
                substitutions.append(sub)

        def strip_stats(match: re.Match[str]) -> str:
            record(match.group(0).strip(), "")
            return ""

        text = _STATS_ASIDE.sub(strip_stats, text)

        def strip_abbreviation(match: re.Match[str]) -> str:
            rest = text[match.end():]
            if re.search(rf"\b{re.escape(match.group(1))}\b", rest):
                return match.group(0)
            record(match.group(0).strip(), "")
            return ""

        text = _ABBREVIATION.sub(strip_abbreviation, text)

        def split_clause(match: re.Match[str]) -> str:
            if not _top_level(match.string, match.start()):
                return match.group(0)
            word = match.group(1) or match.group(2)
            replacement = ". " + word[0].upper() + word[1:]
            record(match.group(0), replacement)
            return replacement

        text = _CLAUSE_JOINT.sub(split_clause, text)
        if self._pattern is not None:
            def lay(match: re.Match[str]) -> str:
                term = match.group(1)
                replacement = self.vocabulary[term.lower()]
                if replacement == term.lower():
                    return match.group(0)  # a name kept whole (KEEP_WHOLE)
                if term[0].isupper() and term[1:2].islower():
                    replacement = replacement[0].upper() + replacement[1:]
                record(match.group(0), replacement)
                return replacement

            text = self._pattern.sub(lay, text)
        return text, substitutions


# Which evidence a reader sees first within a section: clinicians get guidelines and primary
# literature first (the Kind enum's order), patients get consumer health pages first.
KIND_ORDER = {"clinician": list(Kind), "patient": [Kind.CONSUMER, *(k for k in Kind
                                                                   if k != Kind.CONSUMER)]}


def _order_bullets(answer: Answer, audience: Audience) -> None:
    order = {kind: i for i, kind in enumerate(KIND_ORDER[audience])}
    kinds = {ref.number: ref.kind for ref in answer.references}

    def rank(bullet: Bullet) -> int:
        return min((order[kinds[n]] for n in bullet.citations if n in kinds), default=len(order))

    for section in answer.sections:
        section.bullets.sort(key=rank)  # stable: the composer's order within a kind is kept


def adapt(answer: Answer, audience: Audience, *,
          vocabulary: dict[str, str] | None = None) -> Answer:
    """A copy of `answer` worded for `audience`; quotes and sentence ids are left untouched."""
    adapted = answer.model_copy(deep=True)
    adapted.audience = audience
    _order_bullets(adapted, audience)
    if audience == "patient" and not adapted.abstained:
        _for_patient(adapted, Rewriter(vocabulary if vocabulary is not None
                                       else build_vocabulary({})))
    _renumber_references(adapted)
    if audience == "patient":
        adapted.disclaimer = PATIENT_DISCLAIMER
        question = adapted.resolved_question or adapted.question
        for notice in urgent_notices(f"{adapted.question} {question}"):
            if notice not in adapted.notices:
                adapted.notices.insert(0, notice)
    # The grade measures an answer; an abstention's fixed message has none worth reporting.
    adapted.reading_grade = (None if adapted.abstained
                             else flesch_kincaid_grade(adapted.direct_answer.text))
    return adapted


def _plainest_lead(answer: Answer) -> None:
    """Lead the patient view with a consumer-page statement when one covers the question as well.

    Candidates are top-level bullets citing a consumer health page (written for lay readers;
    the composer already judged them relevant). One replaces the direct answer only if it shares
    at least as many question terms and reads at least READING_SWAP_GAIN grades easier; the two
    swap places, so nothing is lost and every citation stays with its sentence. Research
    sentences are not candidates: on PubMedQA train_dev, promoting the plainest of them traded
    conclusions for single results ("4 of 90 pterygia harboured HPV").
    """
    consumer = {ref.number for ref in answer.references if ref.kind == Kind.CONSUMER}
    direct = answer.direct_answer
    terms = set(tokenize(answer.resolved_question or answer.question))
    lead_overlap = len(terms & set(tokenize(direct.text)))
    lead_grade = flesch_kincaid_grade(direct.text)
    if lead_grade is None:
        return
    best: Bullet | None = None
    best_grade = lead_grade - READING_SWAP_GAIN
    for section in answer.sections:
        for bullet in section.bullets:
            if not consumer.intersection(bullet.citations):
                continue
            grade = flesch_kincaid_grade(bullet.text)
            if (grade is not None and grade <= best_grade
                    and len(terms & set(tokenize(bullet.text))) >= lead_overlap):
                best, best_grade = bullet, grade
    if best is None:
        return
    lead = (direct.text, direct.citations, direct.sentence_ids)
    direct.text, direct.citations, direct.sentence_ids = best.text, best.citations, best.sentence_ids
    best.text, best.citations, best.sentence_ids = lead[0], list(lead[1]), list(lead[2])


def _for_patient(answer: Answer, rewriter: Rewriter) -> None:
    _plainest_lead(answer)
    direct = answer.direct_answer
    direct.text, direct.substitutions = rewriter.rewrite(direct.text)
    sections = [s for s in answer.sections if s.bullets][:PATIENT_MAX_SECTIONS]
    for section in sections:
        section.title = PATIENT_SECTION_TITLES.get(section.facet, section.title)
        section.bullets = section.bullets[:PATIENT_MAX_BULLETS]
        for bullet in section.bullets:
            _rewrite_bullet(bullet, rewriter)
    answer.sections = sections


def _rewrite_bullet(bullet: Bullet, rewriter: Rewriter) -> None:
    bullet.text, bullet.substitutions = rewriter.rewrite(bullet.text)
    bullet.children = bullet.children[:PATIENT_MAX_BULLETS]
    for child in bullet.children:
        _rewrite_bullet(child, rewriter)


def _renumber_references(answer: Answer) -> None:
    """Drop references no remaining statement cites and number the rest by first use."""
    order: dict[int, int] = {}
    for numbers in [answer.direct_answer.citations, *(b.citations for b in answer.all_bullets())]:
        for n in numbers:
            order.setdefault(n, len(order) + 1)
    answer.direct_answer.citations = [order[n] for n in answer.direct_answer.citations]
    for bullet in answer.all_bullets():
        bullet.citations = [order[n] for n in bullet.citations]
    kept = [ref for ref in answer.references if ref.number in order]
    for ref in kept:
        ref.number = order[ref.number]
    answer.references = sorted(kept, key=lambda r: r.number)


__all__ = ["READING_GRADE_TARGET", "Rewriter", "adapt"]
