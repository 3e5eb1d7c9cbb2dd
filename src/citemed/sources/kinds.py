"""Evidence kind from PubMed publication types or, failing those, from the text itself."""

from __future__ import annotations

import re

from citemed.model import Kind

# PubMed PublicationType -> kind, strongest first (an article has several types).
_PUBLICATION_TYPES: list[tuple[str, Kind]] = [
    ("practice guideline", Kind.GUIDELINE),
    ("guideline", Kind.GUIDELINE),
    ("consensus development conference", Kind.GUIDELINE),
    ("meta-analysis", Kind.SYSTEMATIC_REVIEW),
    ("systematic review", Kind.SYSTEMATIC_REVIEW),
    ("randomized controlled trial", Kind.RANDOMIZED_TRIAL),
    ("clinical trial", Kind.RANDOMIZED_TRIAL),
    ("controlled clinical trial", Kind.RANDOMIZED_TRIAL),
    ("observational study", Kind.OBSERVATIONAL),
    ("comparative study", Kind.OBSERVATIONAL),
    ("multicenter study", Kind.OBSERVATIONAL),
    ("case reports", Kind.CASE_REPORT),
    ("review", Kind.REVIEW),
]

_ORDER = [Kind.GUIDELINE, Kind.SYSTEMATIC_REVIEW, Kind.RANDOMIZED_TRIAL, Kind.OBSERVATIONAL,
          Kind.REVIEW, Kind.CASE_REPORT, Kind.CONSUMER, Kind.OTHER]


def kind_from_publication_types(types: list[str]) -> Kind:
    found = Kind.OTHER
    for raw in types:
        name = raw.strip().lower()
        for pattern, kind in _PUBLICATION_TYPES:
            if pattern == name and _ORDER.index(kind) < _ORDER.index(found):
                found = kind
    return found


_TEXT_RULES: list[tuple[re.Pattern[str], Kind]] = [
    (re.compile(r"\b(practice guideline|clinical guideline|recommendations? (?:of|from) the)\b", re.I), Kind.GUIDELINE),
    (re.compile(r"\b(meta-?analys[ie]s|systematic(?:ally)? review)", re.I), Kind.SYSTEMATIC_REVIEW),
    (re.compile(r"\b(randomi[sz]ed|randomly assigned|placebo-controlled)\b", re.I), Kind.RANDOMIZED_TRIAL),
    (re.compile(r"\b(case report|we report a case|we describe a case|a \d+-year-old)\b", re.I), Kind.CASE_REPORT),
    (re.compile(r"\b(cohort|case-control|cross-sectional|retrospective|prospective|registry|survey)\b", re.I), Kind.OBSERVATIONAL),
    (re.compile(r"\b(this review|we review|narrative review|overview of)\b", re.I), Kind.REVIEW),
]


def kind_from_text(title: str, body: str) -> Kind:
    """Heuristic kind for abstracts without publication types (PubMedQA, BioASQ, SciFact)."""
    text = f"{title}\n{body[:3000]}"
    for pattern, kind in _TEXT_RULES:
        if pattern.search(text):
            return kind
    return Kind.OTHER
