"""Priors a clinician expects, added to the normalised relevance (the best match scores 1.0).

They are small on purpose: they reorder documents that match about equally well (a guideline
before a case report, a 2019 trial before a 1992 one, a consumer page first for a patient), and
never lift a document that matches the question poorly over one that matches it well. Each is
switched by Settings (kind_prior, recency_prior, audience_prior); their effect on the benchmarks
is measured in docs/notes/issue-6.md.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from citemed.model import Audience, Kind
from citemed.settings import Settings

# Evidence kind: guideline > systematic review > trial > observational > review > case report.
KIND_BONUS: dict[str, float] = {
    Kind.GUIDELINE: 0.06,
    Kind.SYSTEMATIC_REVIEW: 0.05,
    Kind.RANDOMIZED_TRIAL: 0.04,
    Kind.OBSERVATIONAL: 0.025,
    Kind.REVIEW: 0.015,
    Kind.OTHER: 0.015,
    Kind.CASE_REPORT: 0.0,
    Kind.CONSUMER: 0.02,
}
RECENCY_BONUS = 0.04  # reached by documents from RECENT_YEAR on, rising linearly from OLD_YEAR
OLD_YEAR, RECENT_YEAR = 1990, 2020
UNKNOWN_YEAR_BONUS = RECENCY_BONUS / 2
# Audience: patients see consumer pages first; clinicians see primary literature first.
PATIENT_CONSUMER_BONUS = 0.12
CLINICIAN_CONSUMER_PENALTY = 0.04


def prior_scores(kinds: Sequence[str], years: np.ndarray, rows: np.ndarray, *,
                 audience: Audience, settings: Settings) -> np.ndarray:
    """Prior for each document in `rows` (indexes into the lexical index)."""
    out = np.zeros(len(rows), dtype=np.float32)
    row_kinds = [kinds[i] for i in rows]
    if settings.kind_prior:
        out += np.asarray([KIND_BONUS.get(k, 0.0) for k in row_kinds], dtype=np.float32)
    if settings.recency_prior:
        year = years[rows].astype(np.float32)
        share = np.clip((year - OLD_YEAR) / (RECENT_YEAR - OLD_YEAR), 0.0, 1.0)
        out += np.where(year > 0, RECENCY_BONUS * share, UNKNOWN_YEAR_BONUS)
    if settings.audience_prior:
        consumer = np.asarray([k == Kind.CONSUMER for k in row_kinds])
        if audience == "patient":
            out += np.where(consumer, PATIENT_CONSUMER_BONUS, 0.0)
        else:
            out -= np.where(consumer, CLINICIAN_CONSUMER_PENALTY, 0.0)
    return out
