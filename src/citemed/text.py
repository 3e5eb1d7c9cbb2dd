"""Text primitives shared by every stage: sentence splitting with offsets, and tokenizing."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from citemed.model import Sentence

# Abbreviations after which a period does not end a sentence (lower-cased, without the dot).
_NO_BREAK_AFTER = {
    "e.g", "i.e", "vs", "et al", "al", "fig", "figs", "no", "nos", "approx", "ca", "cf", "dr",
    "mr", "mrs", "ms", "prof", "st", "jr", "sr", "inc", "ltd", "co", "resp", "ref", "refs",
    "vol", "eq", "mg", "kg", "ml", "dl", "i.v", "p.o", "b.i.d", "t.i.d", "q.i.d", "u.s", "spp",
    "sp", "var", "min", "max", "mo", "yr", "yrs", "wk", "wks", "hr", "hrs", "jan", "feb", "mar",
    "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
}

# Candidate boundary: end punctuation, optional closing quote/bracket, whitespace.
_BOUNDARY = re.compile(r"[.!?](?:[\"'\u201d\u2019)\]]*)(?=\s+)")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")
_BULLET_LINE = re.compile(r"\n\s*(?:[-*\u2022]|\d+[.)])\s+")


def split_sentences(text: str) -> list[Sentence]:
    """Split text into sentences keeping exact character offsets into `text`.

    Rules tuned for biomedical prose: no break inside decimals (p<0.05), after common
    abbreviations or single initials, or before a lower-case continuation; blank lines and
    bullet lines always break (guideline recommendations are often lists).
    """
    spans: list[tuple[int, int]] = []
    for block_start, block_end in _blocks(text):
        start = block_start
        for match in _BOUNDARY.finditer(text, block_start, block_end):
            end = match.end()
            if not _is_break(text, match.start(), end, block_end):
                continue
            spans.append((start, end))
            start = end
        spans.append((start, block_end))
    sentences: list[Sentence] = []
    for start, end in spans:
        # Trim whitespace but keep offsets exact.
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end - start >= 2 and any(ch.isalnum() for ch in text[start:end]):
            sentences.append(Sentence(len(sentences), start, end, text[start:end]))
    return sentences


def _blocks(text: str) -> list[tuple[int, int]]:
    """Paragraphs and bullet items: hard boundaries no sentence crosses."""
    cuts = [0]
    for match in re.finditer(r"\n\s*\n", text):
        cuts.append(match.end())
    for match in _BULLET_LINE.finditer(text):
        cuts.append(match.start() + 1)
    cuts = sorted(set(cuts))
    cuts.append(len(text))
    return [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]


def _is_break(text: str, punct: int, end: int, limit: int) -> bool:
    if text[punct] == ".":
        before = _WORD_BEFORE.search(text, max(0, punct - 20), punct)
        if before:
            word = before.group(1).lower().rstrip(".")
            if word in _NO_BREAK_AFTER:
                return False
            if len(word) == 1 and word.isalpha():  # initials: "J. Smith", "A. madagascariensis"
                return False
    nxt = end
    while nxt < limit and text[nxt].isspace():
        nxt += 1
    if nxt >= limit:
        return True
    first = text[nxt]
    if first == "(" and _closes_block(text, nxt, limit):
        # A parenthetical that ends the paragraph belongs to the sentence before it: a
        # guideline's "( Strong for )" grade or "(See Table 2.)" stays with its recommendation.
        return False
    # A lower-case continuation is almost always an abbreviation we did not list.
    return not first.islower()


def _closes_block(text: str, open_at: int, limit: int) -> bool:
    """True when the bracket at `open_at` closes at the end of the block, nothing after it."""
    depth = 0
    for pos in range(open_at, min(limit, open_at + 300)):
        ch = text[pos]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return not text[pos + 1:limit].strip()
    return False


# ---------------------------------------------------------------- tokens

_TOKEN = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")

# Small English stop list. Negations and comparison words are kept on purpose: "without",
# "not", "no", "versus", "more", "less" change the meaning of a clinical question.
STOPWORDS = frozenset(
    """a about above after again all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further
    had has have having he her here hers herself him himself his how i if in into is it its itself
    just me my myself of off on once only or other our ours ourselves out over own same she should
    so some such than that the their theirs them themselves then there these they this those
    through to too under until up very was we were what when where which while who whom why will
    with would you your yours yourself yourselves whether may might must shall there's what's
    role play plays""".split()
)


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer  # PyStemmer: Snowball English, the same stemmer the baseline uses

    return Stemmer.Stemmer("english")


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return text.lower().replace("\u2019", "'")


def raw_tokens(text: str) -> list[str]:
    return _TOKEN.findall(normalize(text))


def tokenize(text: str, *, keep_stopwords: bool = False) -> list[str]:
    """Lower-cased, stop-worded, Snowball-stemmed tokens; hyphenated words also yield parts."""
    out: list[str] = []
    for token in raw_tokens(text):
        parts = [token]
        if "-" in token:
            parts.extend(p for p in token.split("-") if p)
        for part in parts:
            part = part.replace("'", "")
            if not keep_stopwords and part in STOPWORDS:
                continue
            out.append(part)
    return _stemmer().stemWords(out)
