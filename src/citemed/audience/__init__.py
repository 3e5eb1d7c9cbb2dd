"""Reader modes: the same cited answer worded for a clinician or for a patient.

adapt(answer, audience) never touches quotes or citations' sentence ids: it rewrites the
displayed wording (recording every change in `substitutions`), trims the patient view, measures
the reading grade and adds urgent-care notices for red-flag questions.
"""

from __future__ import annotations

import re

from citemed.audience.readability import flesch_kincaid_grade
from citemed.audience.redflags import urgent_notices
from citemed.audience.vocabulary import CURATED
from citemed.model import Answer, Audience, Bullet, Substitution

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

# Statistical asides a lay reader does not need: "(95% CI 1.1-2.3)", "(p < 0.001)", "(n = 40)",
# "[OR 2.1]". Only whole bracketed asides are removed, never words of the sentence itself.
_STATS_ASIDE = re.compile(
    r"\s*[(\[][^()\[\]]*?(?:\bCI\b|\bp\s*[<=>≤]|\b[OHR]R\s*[=:]?\s*\d|\bn\s*=|\bSD\b|\bIQR\b|"
    r"\bSE\b|±|\bAUC\b|\bkappa\b|\br\s*=)[^()\[\]]*[)\]]",
    re.I,
)


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
        if self._pattern is not None:
            def lay(match: re.Match[str]) -> str:
                term = match.group(1)
                replacement = self.vocabulary[term.lower()]
                if term[0].isupper() and term[1:2].islower():
                    replacement = replacement[0].upper() + replacement[1:]
                record(match.group(0), replacement)
                return replacement

            text = self._pattern.sub(lay, text)
        return text, substitutions


def adapt(answer: Answer, audience: Audience, *,
          vocabulary: dict[str, str] | None = None) -> Answer:
    """A copy of `answer` worded for `audience`; quotes and sentence ids are left untouched."""
    adapted = answer.model_copy(deep=True)
    adapted.audience = audience
    if audience == "patient" and not adapted.abstained:
        _for_patient(adapted, Rewriter(vocabulary if vocabulary is not None else CURATED))
    if audience == "patient":
        adapted.disclaimer = PATIENT_DISCLAIMER
        question = adapted.resolved_question or adapted.question
        for notice in urgent_notices(f"{adapted.question} {question}"):
            if notice not in adapted.notices:
                adapted.notices.insert(0, notice)
    adapted.reading_grade = flesch_kincaid_grade(adapted.direct_answer.text)
    return adapted


def _for_patient(answer: Answer, rewriter: Rewriter) -> None:
    direct = answer.direct_answer
    direct.text, direct.substitutions = rewriter.rewrite(direct.text)
    sections = [s for s in answer.sections if s.bullets][:PATIENT_MAX_SECTIONS]
    for section in sections:
        section.title = PATIENT_SECTION_TITLES.get(section.facet, section.title)
        section.bullets = section.bullets[:PATIENT_MAX_BULLETS]
        for bullet in section.bullets:
            _rewrite_bullet(bullet, rewriter)
    answer.sections = sections
    _renumber_references(answer)


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
