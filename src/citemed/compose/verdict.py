"""Verdicts for yes/no questions from what the cited sentences say, read by the evidence reader.

Each cited sentence carries the reader's stance (yes / no / neutral towards the question). A
document's lean is the vote-weighted mean (relevance x concept coverage squared) of its sentences' (P(yes) - P(no)); documents
pool with their evidence-kind weight. The thresholds below were chosen on training questions
only (`bench/verdict_thresholds.py`: the reader's held-out BioASQ 1B-6B and PubMedQA train_dev
questions; docs/notes/issue-13.md).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from citemed.model import EvidenceSummary, Verdict
from citemed.readers import Reading

# A pooled lean (P(yes) - P(no)) above 0 and at least YES_LEAN says yes; below 0 and at most
# -NO_LEAN says no; anything else is uncertain.
YES_LEAN = 0.0
NO_LEAN = 0.0
# A document leaning less than this either way counts as neutral in the evidence summary.
DOCUMENT_SIDE = 0.2
# A passage's vote counts with (share of the question's concept weight it names) ** this: a
# screening sentence that never says "vaccination" weighs less on a vaccination question than
# one that names everything asked.
COVERAGE_POWER = 2.0
# The evidence-set reader (all cited passages read together with the question): the share of
# the final lean that is its lean, the rest pooled from the sentences; and the least it must
# find that the set answers the question ("relevance" of the set) for any verdict.
EVIDENCE_WEIGHT = 0.5
EVIDENCE_ANSWERS = 0.4


@dataclass(frozen=True)
class CitedReading:
    """One cited sentence as the verdict sees it."""

    document_id: str
    kind_weight: float
    reading: Reading
    coverage: float = 1.0  # share of the question's concept weight the passage names

    @property
    def vote(self) -> float:
        return self.reading.relevance * self.coverage ** COVERAGE_POWER


def decide(cited: list[CitedReading], evidence: Reading | None = None,
           ) -> tuple[Verdict, EvidenceSummary, dict[str, float]]:
    """Verdict, per-document counts and pooled stance (`maybe` = the neutral share); with the
    evidence-set reader's reading of the cited set, its stance is blended in and its
    relevance gates the verdict (`answers` in the scores)."""
    if not cited:
        return "insufficient", EvidenceSummary(), {}
    by_document: dict[str, list[CitedReading]] = defaultdict(list)
    for item in cited:
        by_document[item.document_id].append(item)
    pooled = {"yes": 0.0, "no": 0.0, "maybe": 0.0}
    leans: list[float] = []
    total = 0.0
    for items in by_document.values():
        mass = sum(i.vote for i in items) or 1.0
        shares = {
            "yes": sum(i.vote * i.reading.yes for i in items) / mass,
            "no": sum(i.vote * i.reading.no for i in items) / mass,
            "maybe": sum(i.vote * i.reading.neutral for i in items) / mass,
        }
        weight = max(i.vote for i in items) * items[0].kind_weight
        total += weight
        for name, value in shares.items():
            pooled[name] += weight * value
        leans.append(shares["yes"] - shares["no"])
    pooled = {name: value / (total or 1.0) for name, value in pooled.items()}
    if evidence is not None:
        read = {"yes": evidence.yes, "no": evidence.no, "maybe": evidence.neutral}
        pooled = {name: (1 - EVIDENCE_WEIGHT) * value + EVIDENCE_WEIGHT * read[name]
                  for name, value in pooled.items()}
    summary = EvidenceSummary(
        supporting=sum(1 for lean in leans if lean >= DOCUMENT_SIDE),
        opposing=sum(1 for lean in leans if lean <= -DOCUMENT_SIDE),
        neutral=sum(1 for lean in leans if -DOCUMENT_SIDE < lean < DOCUMENT_SIDE),
    )
    lean = pooled["yes"] - pooled["no"]
    verdict: Verdict = ("yes" if lean > 0 and lean >= YES_LEAN else
                        "no" if lean < 0 and -lean >= NO_LEAN else "uncertain")
    if evidence is not None:
        pooled["answers"] = evidence.relevance
        if evidence.relevance < EVIDENCE_ANSWERS:
            verdict = "insufficient"
    return verdict, summary, {name: round(value, 4) for name, value in pooled.items()}
