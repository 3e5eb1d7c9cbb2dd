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
from citemed.model import Answer, Audience, Bullet, DirectAnswer, Kind, Substitution
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


# Clause joints where one long sentence reads as two whole sentences. ";" and ", however," keep
# their words. ", but" / ", and" / ", although" / ", whereas" split only before a new subject
# (a determiner or pronoun, group 4) and when no earlier comma makes the joint part of a list;
# the clause must also have a verb (see _split_clause), so "not X, but Y" fragments are left.
# Joints inside brackets are skipped (see _top_level).
_SUBJECT = (r"the|this|these|those|its|their|it|they|there|we|no|our|his|her|most|some|many|all|"
            r"each|both|patients|women|men|children|people")
_CLAUSE_JOINT = re.compile(
    rf";\s*(\w+)|,\s+(however\b)|,\s+(but|and|although|whereas)\s+({_SUBJECT})\b", re.I)
# "although"/"whereas" open a contrast the way a new sentence starting "But" does.
_JOINT_WORD = {"although": "but", "whereas": "but"}
_CLAUSE_VERB = re.compile(
    r"\b(?:is|are|was|were|be|been|has|have|had|may|might|can|could|should|would|will|must|"
    r"does|do|did|remains?|appears?|seems?|\w{3,}ed)\b", re.I)
# "(DBE)": an abbreviation introduced in brackets; dropped when the sentence never uses it again.
_ABBREVIATION = re.compile(r"\s\(([A-Z][A-Za-z0-9-]{1,9})\)")
# Other asides holding a number or a capital letter are names, places, dates or counts
# ("(Westmead Hospital)", "[LDL-C]", "(2004-2008)"): detail a lay reader can skip. Lower-case
# asides stay: they are the glosses ("(joint pain)") and qualifiers a consumer page adds.
_DETAIL_ASIDE = re.compile(r"\s*[(\[]([^()\[\]]*[A-Z0-9][^()\[\]]*)[)\]]")
# Framing that says where a conclusion sits in the paper, not what it says.
_FRAMING = re.compile(r"^(?:In conclusion|In summary|To conclude|To summarize|To summarise|"
                      r"Taken together|In short),\s+(\w+)")
# A trailing emphasis clause: ", particularly in older women" narrows nothing the main clause
# states, so patients read the claim without it. Only when it runs to the sentence's end: one
# followed by a comma may be the first item of a list that the sentence still needs.
_EMPHASIS = re.compile(r",\s+(?:particularly|especially|notably|specifically)\b[^,;.]*(?=[;.]|$)",
                       re.I)


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
        # An article right before the term is matched too, so "an appropriate" becomes
        # "a suitable", not "an suitable".
        self._pattern = re.compile(
            r"\b(?:(an?)\s+)?(" + "|".join(re.escape(t) for t in terms) + r")(s?)\b(?!\s*\()",
            re.I,
        ) if terms else None

    def rewrite(self, text: str) -> tuple[str, list[Substitution]]:
        """`text` in plain words, and every change as a positioned `Substitution`, so that
        `citemed.model.extracted_text` restores `text` exactly (each occurrence is recorded)."""
        substitutions: list[Substitution] = []

        def strip_stats(match: re.Match[str]) -> Edit:
            return match.start(), match.end(), ""

        text = _edit(text, _STATS_ASIDE, strip_stats, substitutions)

        def strip_abbreviation(match: re.Match[str]) -> Edit | None:
            if re.search(rf"\b{re.escape(match.group(1))}\b", match.string[match.end():]):
                return None
            return match.start(), match.end(), ""

        text = _edit(text, _ABBREVIATION, strip_abbreviation, substitutions)

        def strip_detail(match: re.Match[str]) -> Edit | None:
            if _ABBREVIATION.fullmatch(" " + match.group(0).strip()):
                return None  # an abbreviation the sentence uses again
            return match.start(), match.end(), ""

        text = _edit(text, _DETAIL_ASIDE, strip_detail, substitutions)

        def strip_framing(match: re.Match[str]) -> Edit:
            word = match.group(1)
            return match.start(), match.end(), word[0].upper() + word[1:]

        text = _edit(text, _FRAMING, strip_framing, substitutions)

        def strip_emphasis(match: re.Match[str]) -> Edit | None:
            if not _top_level(match.string, match.start()):
                return None
            return match.start(), match.end(), ""

        text = _edit(text, _EMPHASIS, strip_emphasis, substitutions)

        def split_clause(match: re.Match[str]) -> Edit | None:
            if not _top_level(match.string, match.start()):
                return None
            if match.group(3):
                # Only a whole clause becomes a sentence: not the last item of a list, and
                # with a verb before the sentence ends.
                start = max(match.string.rfind(". ", 0, match.start()), 0)
                rest = re.split(r"[.;]", match.string[match.end():], maxsplit=1)[0]
                if "," in match.string[start:match.start()] or not _CLAUSE_VERB.search(rest):
                    return None
                joint = match.group(3).lower()
                word = _JOINT_WORD.get(joint, joint)
                return match.start(), match.end(), f". {word.capitalize()} {match.group(4)}"
            word = match.group(1) or match.group(2)
            return match.start(), match.end(), ". " + word[0].upper() + word[1:]

        text = _edit(text, _CLAUSE_JOINT, split_clause, substitutions)
        if self._pattern is not None:
            def lay(match: re.Match[str]) -> Edit | None:
                article, term = match.group(1), match.group(2)
                replacement = self.vocabulary[term.lower()]
                if replacement == term.lower():
                    return None  # a name kept whole (KEEP_WHOLE)
                if term[0].isupper() and term[1:2].islower():
                    replacement = replacement[0].upper() + replacement[1:]
                fitting = "an" if replacement[0].lower() in "aeiou" else "a"
                if article and article.lower() != fitting:
                    fitting = fitting.capitalize() if article[0].isupper() else fitting
                    return match.start(), match.end(), f"{fitting} {replacement}"
                return match.start(2), match.end(), replacement

            text = _edit(text, self._pattern, lay, substitutions)
        return text, substitutions


# (start, end, replacement) of one change inside the text a pattern was matched on.
Edit = tuple[int, int, str]


def _edit(text: str, pattern: re.Pattern[str], change, substitutions: list[Substitution]) -> str:
    """Apply `change` to each match of `pattern` in `text` (None leaves a match alone) and
    record each change with its position in the text as it stands after the earlier ones."""
    parts: list[str] = []
    done = 0  # end of the last change in `text`
    shift = 0  # how much the changes so far moved later positions
    for match in pattern.finditer(text):
        edit = change(match)
        if edit is None:
            continue
        start, end, replacement = edit
        parts += [text[done:start], replacement]
        substitutions.append(Substitution(original=text[start:end], replacement=replacement,
                                          at=start + shift))
        shift += len(replacement) - (end - start)
        done = end
    return "".join(parts) + text[done:] if parts else text


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
    for statement in [adapted.direct_answer, *adapted.all_bullets()]:
        _capitalise_start(statement)
    _renumber_references(adapted)
    if audience == "patient":
        adapted.disclaimer = PATIENT_DISCLAIMER
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
    direct.lead = PLAIN_VERDICTS.get(direct.verdict or "", "")
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


__all__ = ["READING_GRADE_TARGET", "Rewriter", "adapt"]
