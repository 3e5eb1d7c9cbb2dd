"""Pooling the cited readings into a verdict (no model: readings written by hand)."""

from __future__ import annotations

from citemed.compose.verdict import CitedReading, decide
from citemed.readers import Reading

SAYS_YES = Reading(relevance=0.9, yes=0.8, no=0.1, neutral=0.1)
SAYS_NO = Reading(relevance=0.9, yes=0.1, no=0.8, neutral=0.1)


def test_a_passage_naming_everything_asked_outweighs_two_that_name_part_of_it():
    # Two screening passages (no "vaccination") lean no; one vaccination passage leans yes.
    cited = [CitedReading("screening-1", 1.0, SAYS_NO, coverage=0.6),
             CitedReading("screening-2", 1.0, SAYS_NO, coverage=0.6),
             CitedReading("vaccination", 1.0, SAYS_YES, coverage=1.0)]
    verdict, summary, _ = decide(cited)
    assert verdict == "yes"
    assert (summary.supporting, summary.opposing) == (1, 2)


def test_equal_coverage_leaves_the_majority_of_documents_deciding():
    cited = [CitedReading("a", 1.0, SAYS_NO), CitedReading("b", 1.0, SAYS_NO),
             CitedReading("c", 1.0, SAYS_YES)]
    assert decide(cited)[0] == "no"


def test_nothing_cited_is_not_enough_evidence():
    assert decide([])[0] == "insufficient"
