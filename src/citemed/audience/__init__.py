"""Reader modes: the same cited answer worded for a clinician or for a patient.

adapt(answer, audience) never touches quotes or citations' sentence ids: it rewrites the
displayed wording (recording every change in `substitutions`), trims the patient view, measures
the reading grade and adds urgent-care notices for red-flag questions.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from citemed.audience.readability import flesch_kincaid_grade
from citemed.audience.redflags import urgent_notices
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
    rf";\s*(\w+)|,\s+(however\b)|"
    rf"(?:,\s+(but|and thus|and therefore|and|although|whereas|thus|therefore),?|"
    rf"\s+(but|whereas))\s+({_SUBJECT})\b", re.I)
# "although"/"whereas" open a contrast the way a new sentence starting "But" does; "thus" and
# "therefore" a consequence, as "So" does.
_JOINT_WORD = {"although": "but", "whereas": "but", "thus": "so", "therefore": "so",
               "and thus": "so", "and therefore": "so"}
# "A, suggesting that B" says "A. This suggests that B": the participle (or ", which suggests")
# refers to the whole of A, so "This" names nothing new.
_INFERENCE = {"suggesting": "suggests", "indicating": "indicates", "implying": "implies",
              "showing": "shows", "demonstrating": "shows", "confirming": "confirms",
              "supporting": "supports", "raising": "raises", "highlighting": "highlights"}
_INFERENCE_JOINT = re.compile(
    r",\s+(?:which\s+(suggests|indicates|implies|supports|confirms|raises|highlights)|"
    rf"({'|'.join(_INFERENCE)}))\b")
# "Although A, B." reads as "A. But B." when A and B are whole clauses (both have a verb, B
# starts with a subject word and A holds no comma, which could make the cut a list's).
_LEADING_CONTRAST = re.compile(
    rf"^(?:Although|Though|While|Whereas)\s+(?P<first>\w+)(?P<clause>[^,;.]*)(?P<joint>,\s+)"
    rf"(?P<subject>{_SUBJECT})\b", re.I)
_CLAUSE_VERB = re.compile(
    r"\b(?:is|are|was|were|be|been|has|have|had|may|might|can|could|should|would|will|must|"
    r"does|do|did|remains?|appears?|seems?|\w{3,}ed|fell|rose|grew|led|found|made|took|gave|"
    r"saw|became|(?:increase|decrease|reduce|improve|occur|show|suggest|indicate|exist|differ|"
    r"affect|cause|lower|raise|predict|persist|lead|help|work)s?)\b", re.I)
# "(DBE)": an abbreviation introduced in brackets; dropped when the sentence never uses it again.
_ABBREVIATION = re.compile(r"\s\(([A-Z][A-Za-z0-9-]{1,9})\)")
# Other asides holding a number or a capital letter are names, places, dates or counts
# ("(Westmead Hospital)", "[LDL-C]", "(2004-2008)"): detail a lay reader can skip. Lower-case
# asides stay: they are the glosses ("(joint pain)") and qualifiers a consumer page adds.
_DETAIL_ASIDE = re.compile(r"\s*[(\[]([^()\[\]]*[A-Z0-9][^()\[\]]*)[)\]]")
# Framing that says where a conclusion sits in the paper or links it to the sentence before, not
# what it says. "In this retrospective study," goes too: the reference says which study it is.
# Concessive openings ("Despite more complications, ...") stay: they carry risk information.
_FRAMING = re.compile(
    r"^(?:In conclusion|In summary|To conclude|To summarize|To summarise|Taken together|"
    r"In short|Overall|In fact|Moreover|In addition|Additionally|Furthermore|Finally|Thus|"
    r"Therefore|Hence|Consequently|Indeed|In our experience|In (?:this|our|the present|the "
    r"current)(?: [\w-]+){0,3} (?:study|trial|series|analysis|review|survey|experiment)),\s+(\w+)")
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
            if match.group(5):
                # Only a whole clause becomes a sentence: not the last item of a list, with a
                # verb before the sentence ends, and without a comma not the second half of
                # "not (only) A but B". (_CLAUSE_VERB misses many irregular verbs, "cut", so
                # the part before the joint is only checked where it matters.)
                start = max(match.string.rfind(". ", 0, match.start()), 0)
                before = match.string[start:match.start()]
                rest = re.split(r"[.;]", match.string[match.end():], maxsplit=1)[0]
                joint = re.sub(r"\s+", " ", (match.group(3) or match.group(4)).lower())
                if ("," in before or not _CLAUSE_VERB.search(rest)
                        or (match.group(4) and re.search(r"\bnot\b", before, re.I))
                        # "In all these comparisons, although A, B": "although" can open a
                        # clause in front of the main one; then nothing before it has a verb.
                        or (joint in ("although", "whereas")
                            and not _CLAUSE_VERB.search(before))):
                    return None
                word = _JOINT_WORD.get(joint, joint)
                return match.start(), match.end(), f". {word.capitalize()} {match.group(5)}"
            if match.group(2) and match.string[match.end():match.end() + 1] == ",":
                # "Addition of X, however, causes Y": a parenthetical "however" between the
                # subject and its verb; a cut there leaves no verb in front.
                start = max(match.string.rfind(". ", 0, match.start()), 0)
                if not _CLAUSE_VERB.search(match.string[start:match.start()]):
                    return None
            if match.group(1):
                # "...; 95% for steady-state imaging; and 96% for combined imaging" or
                # "Clinical features; ...; and death rate were compared": items of a list, not
                # clauses. Both sides of the ";" need a verb, and a part opening with a figure
                # stays joined.
                part = re.split(r"[.;]", match.string[match.start() + 1:], maxsplit=1)[0]
                previous = re.split(r"[.;]", match.string[:match.start()])[-1]
                if (re.match(r"\s*(?:and\s+)?\d", part) or not _CLAUSE_VERB.search(part)
                        or not _CLAUSE_VERB.search(previous)):
                    return None
            word = match.group(1) or match.group(2)
            return match.start(), match.end(), ". " + word[0].upper() + word[1:]

        text = _edit(text, _CLAUSE_JOINT, split_clause, substitutions)

        def split_contrast(match: re.Match[str]) -> list[Edit] | None:
            rest = re.split(r"[.;]", match.string[match.end():], maxsplit=1)[0]
            first, subject = match.group("first"), match.group("subject")
            # The verb must follow the first word: "While limited by its design, ..." is a
            # participle, not a clause.
            if not (_CLAUSE_VERB.search(match.group("clause")) and _CLAUSE_VERB.search(rest)):
                return None
            return [(0, match.end("first"), first[0].upper() + first[1:]),
                    (match.start("joint"), match.end("subject"), f". But {subject}")]

        text = _edit(text, _LEADING_CONTRAST, split_contrast, substitutions)

        def split_inference(match: re.Match[str]) -> Edit | None:
            # After a clause only: in "Twenty patients, showing no signs, were ..." the
            # participle describes the patients.
            start = max(match.string.rfind(". ", 0, match.start()), 0)
            if (not _top_level(match.string, match.start())
                    or not _CLAUSE_VERB.search(match.string[start:match.start()])):
                return None
            verb = match.group(1) or _INFERENCE[match.group(2)]
            return match.start(), match.end(), f". This {verb}"

        text = _edit(text, _INFERENCE_JOINT, split_inference, substitutions)
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


def _edit(text: str, pattern: re.Pattern[str],
          change: Callable[[re.Match[str]], Edit | list[Edit] | None],
          substitutions: list[Substitution]) -> str:
    """Apply `change` to each match of `pattern` in `text` (it returns one or more edits in
    text order, or None to leave the match alone) and record each change with its position in
    the text as it stands after the earlier ones."""
    parts: list[str] = []
    done = 0  # end of the last change in `text`
    shift = 0  # how much the changes so far moved later positions
    for match in pattern.finditer(text):
        edits = change(match)
        for start, end, replacement in [edits] if isinstance(edits, tuple) else edits or []:
            parts += [text[done:start], replacement]
            substitutions.append(Substitution(original=text[start:end], replacement=replacement,
                                              at=start + shift))
            shift += len(replacement) - (end - start)
            done = end
    return "".join(parts) + text[done:] if parts else text


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
