"""Reader modes: the same cited answer worded for a clinician or for a patient.

adapt(answer, audience) never touches quotes or citations' sentence ids: it rewrites the
displayed wording (recording every change in `substitutions`), trims the patient view, measures
the reading grade and adds urgent-care notices for red-flag questions.
"""

from __future__ import annotations

from citemed.audience.readability import flesch_kincaid_grade
from citemed.audience.redflags import urgent_notices
from citemed.audience.rewrite import Rewriter
from citemed.audience.vocabulary import build_vocabulary
from citemed.compose.facets import sentence_role
from citemed.model import (
    EVIDENCE_WEIGHT,
    Answer,
    Audience,
    Bullet,
    DirectAnswer,
    Kind,
    Substitution,
)
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
# The verdict in plain words, leading the patient's short answer. Written by us from the verdict
# alone: it states no finding, only how clearly the cited studies answer the question.
PLAIN_VERDICTS = {
    "yes": "Probably yes.",
    "no": "Probably not.",
    "uncertain": "The studies here do not give a clear answer.",
    "insufficient": "The sources here do not answer this question.",
}
READING_SWAP_GAIN = 2.0

# Which evidence a reader sees first within a section: clinicians by evidence weight
# (guidelines first), patients consumer health pages first, then the same order.
_BY_WEIGHT = sorted(Kind, key=lambda k: -EVIDENCE_WEIGHT[k])
KIND_ORDER = {"clinician": _BY_WEIGHT,
              "patient": [Kind.CONSUMER, *(k for k in _BY_WEIGHT if k != Kind.CONSUMER)]}


def _order_bullets(answer: Answer, audience: Audience) -> None:
    order = {kind: i for i, kind in enumerate(KIND_ORDER[audience])}
    kinds = {ref.number: ref.kind for ref in answer.references}

    def rank(bullet: Bullet) -> int:
        return min((order[kinds[n]] for n in bullet.citations if n in kinds), default=len(order))

    for section in answer.sections:
        section.bullets.sort(key=rank)  # stable: the composer's order within a kind is kept


def adapt(answer: Answer, audience: Audience, *, vocabulary: dict[str, str] | None = None,
          max_sections: int = 5, max_bullets: int = 3) -> Answer:
    """A copy of `answer` worded for `audience`; quotes and sentence ids are left untouched.
    The patient view keeps at most `max_sections` sections of `max_bullets` bullets each."""
    adapted = answer.model_copy(deep=True)
    adapted.audience = audience
    _order_bullets(adapted, audience)
    if audience == "patient" and not adapted.abstained:
        _for_patient(adapted, Rewriter(vocabulary if vocabulary is not None
                                       else build_vocabulary({})), max_sections, max_bullets)
    statements: list[Bullet | DirectAnswer] = [adapted.direct_answer, *adapted.all_bullets()]
    for statement in statements:
        _capitalise_start(statement)
    _renumber_references(adapted)
    if audience == "patient":
        adapted.disclaimer = PATIENT_DISCLAIMER
    # Red-flag symptoms get the urgent-care notice whoever reads the page: a clinician may be
    # asking on behalf of someone in front of them.
    question = adapted.resolved_question or adapted.question
    for notice in urgent_notices(f"{adapted.question} {question}"):
        if notice not in adapted.notices:
            adapted.notices.insert(0, notice)
    # The grade measures an answer; an abstention's fixed message has none worth reporting.
    direct = adapted.direct_answer
    adapted.reading_grade = (None if adapted.abstained
                             else flesch_kincaid_grade(f"{direct.lead} {direct.text}".strip()))
    return adapted


def _plainest_lead(answer: Answer) -> None:
    """Lead the patient view with a plainer statement when one covers the question as well.

    Candidates are bullets citing a consumer health page (written for lay readers) and key
    findings that are conclusions of their paper (the composer judged them relevant to the
    question). One replaces the direct answer only if it shares at least as many question terms
    and reads at least READING_SWAP_GAIN grades easier; the two swap places, so nothing is lost
    and every citation stays with its sentence. Single results are not candidates: on PubMedQA
    train_dev, promoting the plainest sentence of any kind traded conclusions for single results
    ("4 of 90 pterygia harboured HPV").
    """
    consumer = {ref.number for ref in answer.references if ref.kind == Kind.CONSUMER}
    quotes = {q.sentence_id: q for ref in answer.references for q in ref.quotes}

    def concluding(bullet: Bullet) -> bool:
        found = [quotes.get(sid) for sid in bullet.sentence_ids]
        return bool(found) and all(q is not None and sentence_role(q.section, q.text)
                                   == "conclusion" for q in found)

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
            if not (consumer.intersection(bullet.citations)
                    or (section.facet == "answer" and concluding(bullet))):
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


def _for_patient(answer: Answer, rewriter: Rewriter, max_sections: int,
                 max_bullets: int) -> None:
    _plainest_lead(answer)
    direct = answer.direct_answer
    direct.lead = PLAIN_VERDICTS.get(direct.verdict or "", "")
    direct.text, direct.substitutions = rewriter.rewrite(direct.text)
    sections = [s for s in answer.sections if s.bullets][:max_sections]
    for section in sections:
        section.title = PATIENT_SECTION_TITLES.get(section.facet, section.title)
        section.bullets = _plainest(section.bullets, max_bullets)
        for bullet in section.bullets:
            _rewrite_bullet(bullet, rewriter, max_bullets)
    answer.sections = sections


def _plainest(bullets: list[Bullet], keep: int) -> list[Bullet]:
    """The `keep` easiest-to-read bullets, in their original order: when a section holds more
    findings than the patient view shows, the shorter, plainer ones stay."""
    if len(bullets) <= keep:
        return bullets
    grades = [flesch_kincaid_grade(b.text) or 0.0 for b in bullets]
    chosen = sorted(sorted(range(len(bullets)), key=grades.__getitem__)[:keep])
    return [bullets[i] for i in chosen]


def _rewrite_bullet(bullet: Bullet, rewriter: Rewriter, max_children: int) -> None:
    bullet.text, bullet.substitutions = rewriter.rewrite(bullet.text)
    bullet.children = bullet.children[:max_children]
    for child in bullet.children:
        _rewrite_bullet(child, rewriter, max_children)


def _capitalise_start(statement: Bullet | DirectAnswer) -> None:
    """Start a statement with a capital letter, recorded as a substitution: the composer's trim
    leaves "the drug ..." from "Furthermore, the drug ...". Only an all-lower-case first word
    is changed; "pH", "mRNA", "eGFR" and "p53" keep their case."""
    first = statement.text.split(" ", 1)[0]
    if not first.isalpha() or not first.islower():
        return
    replacement = first[0].upper() + first[1:]
    statement.text = replacement + statement.text[len(first):]
    statement.substitutions.append(Substitution(original=first, replacement=replacement, at=0))


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


__all__ = ["Rewriter", "adapt"]
