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


# (literal anchors, pattern, kind), strongest first. Each pattern only runs when one of its
# anchors occurs in the text: a substring test is far cheaper than a regex scan, and six
# case-insensitive scans per abstract were most of SciFact's ingest time.
_TEXT_RULES: list[tuple[tuple[str, ...], re.Pattern[str], Kind]] = [
    (("guideline", "recommendation"), re.compile(r"\b(practice guideline|clinical guideline|recommendations? (?:of|from) the)\b"), Kind.GUIDELINE),
    (("analys", "systematic"), re.compile(r"\b(meta-?analys[ie]s|systematic(?:ally)? review)"), Kind.SYSTEMATIC_REVIEW),
    (("randomi", "randomly", "placebo"), re.compile(r"\b(randomi[sz]ed|randomly assigned|placebo-controlled)\b"), Kind.RANDOMIZED_TRIAL),
    (("case", "year-old"), re.compile(r"\b(case report|we report a case|we describe a case|a \d+-year-old)\b"), Kind.CASE_REPORT),
    (("cohort", "case-control", "cross-sectional", "retrospective", "prospective", "registry", "survey"),
     re.compile(r"\b(cohort|case-control|cross-sectional|retrospective|prospective|registry|survey)\b"), Kind.OBSERVATIONAL),
    (("review", "overview"), re.compile(r"\b(this review|we review|narrative review|overview of)\b"), Kind.REVIEW),
]


def kind_from_text(title: str, body: str) -> Kind:
    """Heuristic kind for abstracts without publication types (PubMedQA, BioASQ, SciFact)."""
    text = f"{title}\n{body[:3000]}".lower()
    for anchors, pattern, kind in _TEXT_RULES:
        if any(anchor in text for anchor in anchors) and pattern.search(text):
            return kind
    return Kind.OTHER
