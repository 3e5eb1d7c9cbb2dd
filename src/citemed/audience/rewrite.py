"""The patient rewrite: plain words and shorter sentences, with a record of every change.

Each step is a pattern and a function that turns one match into edits (or leaves it alone);
`Rewriter.rewrite` runs the steps in order, then swaps technical terms for lay words. Every edit
is kept as a positioned `Substitution`, so `citemed.model.extracted_text` restores the source
sentence exactly.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from citemed.model import Substitution

# (start, end, replacement) of one change inside the text a pattern was matched on.
Edit = tuple[int, int, str]
Change = Callable[[re.Match[str]], Edit | list[Edit] | None]

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


def _sentence_start(text: str, position: int) -> int:
    """Where the sentence holding `position` starts (after the last ". " before it)."""
    return max(text.rfind(". ", 0, position), 0)


def _strip_stats(match: re.Match[str]) -> Edit:
    return match.start(), match.end(), ""


def _strip_abbreviation(match: re.Match[str]) -> Edit | None:
    if re.search(rf"\b{re.escape(match.group(1))}\b", match.string[match.end():]):
        return None
    return match.start(), match.end(), ""


def _strip_detail(match: re.Match[str]) -> Edit | None:
    if _ABBREVIATION.fullmatch(" " + match.group(0).strip()):
        return None  # an abbreviation the sentence uses again
    return match.start(), match.end(), ""


def _strip_framing(match: re.Match[str]) -> Edit:
    word = match.group(1)
    return match.start(), match.end(), word[0].upper() + word[1:]


def _strip_emphasis(match: re.Match[str]) -> Edit | None:
    if not _top_level(match.string, match.start()):
        return None
    return match.start(), match.end(), ""


def _split_clause(match: re.Match[str]) -> Edit | None:
    if not _top_level(match.string, match.start()):
        return None
    if match.group(5):
        # Only a whole clause becomes a sentence: not the last item of a list, with a
        # verb before the sentence ends, and without a comma not the second half of
        # "not (only) A but B". (_CLAUSE_VERB misses many irregular verbs, "cut", so
        # the part before the joint is only checked where it matters.)
        before = match.string[_sentence_start(match.string, match.start()):match.start()]
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
        start = _sentence_start(match.string, match.start())
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


def _split_contrast(match: re.Match[str]) -> list[Edit] | None:
    rest = re.split(r"[.;]", match.string[match.end():], maxsplit=1)[0]
    first, subject = match.group("first"), match.group("subject")
    # The verb must follow the first word: "While limited by its design, ..." is a
    # participle, not a clause.
    if not (_CLAUSE_VERB.search(match.group("clause")) and _CLAUSE_VERB.search(rest)):
        return None
    return [(0, match.end("first"), first[0].upper() + first[1:]),
            (match.start("joint"), match.end("subject"), f". But {subject}")]


def _split_inference(match: re.Match[str]) -> Edit | None:
    # After a clause only: in "Twenty patients, showing no signs, were ..." the
    # participle describes the patients.
    start = _sentence_start(match.string, match.start())
    if (not _top_level(match.string, match.start())
            or not _CLAUSE_VERB.search(match.string[start:match.start()])):
        return None
    verb = match.group(1) or _INFERENCE[match.group(2)]
    return match.start(), match.end(), f". This {verb}"


# Run in this order: each step sees the text the earlier steps left.
STEPS: list[tuple[re.Pattern[str], Change]] = [
    (_STATS_ASIDE, _strip_stats),
    (_ABBREVIATION, _strip_abbreviation),
    (_DETAIL_ASIDE, _strip_detail),
    (_FRAMING, _strip_framing),
    (_EMPHASIS, _strip_emphasis),
    (_CLAUSE_JOINT, _split_clause),
    (_LEADING_CONTRAST, _split_contrast),
    (_INFERENCE_JOINT, _split_inference),
]


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
        for pattern, change in STEPS:
            text = _edit(text, pattern, change, substitutions)
        if self._pattern is not None:
            text = _edit(text, self._pattern, self._lay, substitutions)
        return text, substitutions

    def _lay(self, match: re.Match[str]) -> Edit | None:
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


def _edit(text: str, pattern: re.Pattern[str], change: Change,
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
