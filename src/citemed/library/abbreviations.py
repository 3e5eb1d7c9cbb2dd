"""Abbreviations learned from the library: "long form (SHORT)" pairs, Schwartz-Hearst style.

A pair is accepted when the short form's letters appear, in order, at word starts or inside the
words just before the parenthesis, and the long form starts with the short form's first letter
(so "aromatase inhibitor-induced musculoskeletal symptoms (AIMSS)" and "non-steroidal
anti-inflammatory drugs (NSAIDs)" are found, "patients (n = 30)" is not). The most frequent long
form per short form wins, so one odd usage in one abstract does not redefine a term (counted
by the lexical index build, citemed.library.lexical_build, per document so deletions retract).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from citemed.text import tokenize

_PAREN = re.compile(r"\(([A-Za-z][A-Za-z0-9\-]{1,9})\)")
_WORD = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")
MAX_LONG_WORDS = 8


def find_pairs(text: str) -> Iterable[tuple[str, str]]:
    """(short form, long form) pairs defined in `text`."""
    for match in _PAREN.finditer(text):
        short = match.group(1)
        letters = short.rstrip("s") if short.endswith("s") and short[:-1].isupper() else short
        if not any(ch.isupper() for ch in letters) or len(letters) < 2:
            continue
        before = text[max(0, match.start() - 120):match.start()]
        words = _WORD.findall(before)[-min(MAX_LONG_WORDS, len(letters) + 5):]
        long_form = _match_long_form(letters.lower(), words)
        if long_form:
            yield short, long_form


def _match_long_form(letters: str, words: list[str]) -> str | None:
    """Walk the letters backwards through the words; the long form must start on letter one."""
    if not words:
        return None
    text = " ".join(words).lower()
    pos = len(text) - 1
    for letter in reversed(letters):
        if not letter.isalnum():
            continue
        while pos >= 0:
            at_word_start = pos == 0 or not text[pos - 1].isalnum()
            if text[pos] == letter and (letter != letters[0] or at_word_start):
                break
            pos -= 1
        if pos < 0:
            return None
        pos -= 1
    start = pos + 1
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    long_form = text[start:]
    n_words = len(long_form.split())
    if n_words < 1 or n_words > len(letters) + 5 or len(long_form) <= len(letters):
        return None
    return long_form


def long_form_terms(short: str, long_form: str) -> list[str] | None:
    """Stemmed terms a short form (lookup key) expands to, None when its long form adds none."""
    terms = tokenize(long_form)
    return terms if terms and terms != [short] else None


def short_keys(short: str) -> list[str]:
    """Lookup keys: 'NSAIDs' is found as 'nsaids' and 'nsaid'; 'AIMSS' only as 'aimss'."""
    keys = [short.lower()]
    if short.endswith("s") and short[:-1].isupper() and len(short) > 2:
        keys.append(short[:-1].lower())
    return keys
