"""Pooling the cited readings into a verdict (no model: readings written by hand)."""

from __future__ import annotations

import pytest

from citemed.compose.verdict import EVIDENCE_ANSWERS, EVIDENCE_WEIGHT, CitedReading, decide
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


def test_a_set_that_clearly_says_no_outweighs_sentences_leaning_weakly_yes():
    # Sentences lean yes weakly; the set read together says no clearly.
    weak_yes = Reading(relevance=0.9, yes=0.45, no=0.35, neutral=0.2)
    set_says_no = Reading(relevance=0.9, yes=0.1, no=0.85, neutral=0.05)
    cited = [CitedReading("a", 1.0, weak_yes)]
    assert decide(cited)[0] == "yes"
    verdict, _, scores = decide(cited, set_says_no)
    assert verdict == "no"
    lean = (1 - EVIDENCE_WEIGHT) * (0.45 - 0.35) + EVIDENCE_WEIGHT * (0.1 - 0.85)
    assert scores["yes"] - scores["no"] == pytest.approx(lean, abs=1e-3)
    assert scores["answers"] == pytest.approx(0.9)


def test_a_set_that_does_not_answer_the_question_gets_no_verdict():
    off_topic = Reading(relevance=EVIDENCE_ANSWERS / 2, yes=0.9, no=0.05, neutral=0.05)
    assert decide([CitedReading("a", 1.0, SAYS_YES)], off_topic)[0] == "insufficient"
