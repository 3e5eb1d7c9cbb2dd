"""Text primitives shared by every stage: sentence splitting with offsets, and tokenizing."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import TypeVar

from citemed.model import Sentence

T = TypeVar("T")

# Abbreviations after which a period does not end a sentence (lower-cased, without the dot).
_NO_BREAK_AFTER = {
    "e.g", "i.e", "vs", "et al", "al", "fig", "figs", "no", "nos", "approx", "ca", "cf", "dr",
    "mr", "mrs", "ms", "prof", "st", "jr", "sr", "inc", "ltd", "co", "resp", "ref", "refs",
    "vol", "eq", "mg", "kg", "ml", "dl", "i.v", "p.o", "b.i.d", "t.i.d", "q.i.d", "u.s", "spp",
    "sp", "var", "min", "max", "mo", "yr", "yrs", "wk", "wks", "hr", "hrs", "jan", "feb", "mar",
    "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
}

# Candidate boundary: end punctuation, optional closing quotes or brackets, whitespace; the
# group is the first character after the whitespace (absent at the end of a block).
_BOUNDARY = re.compile(r"[.!?][\"'\u201d\u2019)\]]*(?=\s+(\S)?)")
_BULLET_LINE = re.compile(r"\n\s*(?:[-*\u2022]|\d+[.)])\s+")
_PARAGRAPH = re.compile(r"\n\s*\n")
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.")


def split_sentences(text: str) -> list[Sentence]:
    """Split text into sentences keeping exact character offsets into `text`.

    Rules tuned for biomedical prose: no break inside decimals (p<0.05), after common
    abbreviations or single initials, or before a lower-case continuation; blank lines and
    bullet lines always break (guideline recommendations are often lists), and a parenthetical
    that ends its paragraph stays with the sentence before it (a recommendation's grade).
    """
    sentences: list[Sentence] = []
    for block_start, block_end in _blocks(text):
        start = block_start
        for match in _BOUNDARY.finditer(text, block_start, block_end):
            if _is_break(text, match, block_end):
                _add_sentence(sentences, text, start, match.end())
                start = match.end()
        _add_sentence(sentences, text, start, block_end)
    return sentences


def _add_sentence(sentences: list[Sentence], text: str, start: int, end: int) -> None:
    """Trim whitespace but keep offsets exact; skip pieces without a letter or digit."""
    piece = text[start:end]
    stripped = piece.strip()
    if len(stripped) < 2:
        return
    if not (stripped[0].isalnum() or stripped[-2].isalnum()
            or any(ch.isalnum() for ch in stripped)):
        return
    start += len(piece) - len(piece.lstrip())
    sentences.append(Sentence(len(sentences), start, start + len(stripped), stripped))


def _blocks(text: str) -> list[tuple[int, int]]:
    """Paragraphs and bullet items: hard boundaries no sentence crosses."""
    if "\n" not in text:
        return [(0, len(text))] if text else []
    cuts = {0}
    cuts.update(match.end() for match in _PARAGRAPH.finditer(text))
    cuts.update(match.start() + 1 for match in _BULLET_LINE.finditer(text))
    ordered = sorted(cuts)
    ordered.append(len(text))
    return [(a, b) for a, b in zip(ordered, ordered[1:], strict=False) if b > a]


def _is_break(text: str, match: re.Match[str], limit: int) -> bool:
    punct = match.start()
    if text[punct] == ".":
        word = _word_before(text, punct)
        if word in _NO_BREAK_AFTER:
            return False
        if len(word) == 1:  # initials: "J. Smith", "A. madagascariensis"
            return False
    following = match.group(1)
    if following is None:  # only whitespace left in the block
        return True
    if following == "(" and _closes_block(text, match.start(1), limit):
        # A parenthetical that ends the paragraph belongs to the sentence before it: a
        # guideline's "( Strong for )" grade or "(See Table 2.)" stays with its recommendation.
        return False
    # A lower-case continuation is almost always an abbreviation we did not list.
    return not following.islower()


def _word_before(text: str, end: int) -> str:
    """Lower-cased ASCII word (inner dots allowed, as in "e.g") ending at `end`; '' if none.

    A word glued to a digit ("type 3A") is not an abbreviation, so it gives ''.
    """
    start = end
    floor = max(0, end - 20)
    while start > floor and (text[start - 1] in _WORD_CHARS):
        start -= 1
    while start < end and text[start] == ".":
        start += 1
    if start > 0 and text[start - 1].isdigit():
        return ""
    return text[start:end].lower().rstrip(".")


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
    if not text.isascii():  # NFKC leaves ASCII unchanged; skip its cost on most text
        text = unicodedata.normalize("NFKC", text).replace("\u2019", "'")
    return text.lower()


def raw_tokens(text: str) -> list[str]:
    return _TOKEN.findall(normalize(text))


# Raw token -> its stems, one cache per stop-word mode. The library's vocabulary repeats the
# same few hundred thousand words millions of times, so stemming each distinct word once makes
# tokenizing (most of the index build and of each search) several times faster. Cleared when
# full, so memory stays bounded on any input.
_STEM_CACHE_LIMIT = 500_000
_stem_caches: dict[bool, dict[str, tuple[str, ...]]] = {False: {}, True: {}}


def token_stems(token: str, keep_stopwords: bool = False) -> tuple[str, ...]:
    """Stems of one raw token: the whole word, then its hyphen parts; stop words dropped."""
    parts = [token]
    if "-" in token:
        parts.extend(p for p in token.split("-") if p)
    kept = [part.replace("'", "") for part in parts]
    if not keep_stopwords:
        kept = [part for part in kept if part not in STOPWORDS]
    return tuple(_stemmer().stemWords(kept))


def map_tokens(text: str, cache: dict[str, tuple[T, ...]],
               convert: Callable[[str], tuple[T, ...]]) -> list[T]:
    """`convert` applied to each raw token of `text`, flattened; each distinct token is
    converted once and kept in `cache` (the caller bounds it)."""
    tokens = raw_tokens(text)
    try:
        return [item for token in tokens for item in cache[token]]
    except KeyError:
        pass
    for token in tokens:
        if token not in cache:
            cache[token] = convert(token)
    return [item for token in tokens for item in cache[token]]


def tokenize(text: str, *, keep_stopwords: bool = False) -> list[str]:
    """Lower-cased, stop-worded, Snowball-stemmed tokens; hyphenated words also yield parts."""
    cache = _stem_caches[keep_stopwords]
    if len(cache) > _STEM_CACHE_LIMIT:
        cache.clear()
    return map_tokens(text, cache, lambda token: token_stems(token, keep_stopwords))
