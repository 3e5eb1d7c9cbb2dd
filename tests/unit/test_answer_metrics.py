"""Answer-evaluation metrics on hand-worked examples."""

from __future__ import annotations

import pytest

from citemed.eval.answer_metrics import accuracy, macro_f1, rouge_2, rouge_su4, traceability
from citemed.model import Answer, AnswerSection, Bullet, DirectAnswer, Kind, Quote, Reference


def test_accuracy_and_macro_f1():
    gold = ["yes", "yes", "no", "maybe"]
    predicted = ["yes", "no", "no", "yes"]
    assert accuracy(gold, predicted) == 0.5
    # yes: tp1 fp1 fn1 -> 0.5; no: tp1 fp1 fn0 -> 2/3; maybe: 0
    assert macro_f1(gold, predicted) == pytest.approx((0.5 + 2 / 3 + 0) / 3)


def test_rouge_su4_counts_unigrams_and_skip_bigrams_within_four_words():
    assert rouge_su4("a b c", "a b c") == pytest.approx(1.0)
    # candidate units: a, b, (a,b); reference "a x x x x x b": a, b and no (a,b) pair (gap 5)
    far = rouge_su4("a b", "a x x x x x b")
    near = rouge_su4("a b", "a x x x b")
    assert near > far > 0
    assert rouge_su4("metformin lowers glucose", "aspirin thins blood") == 0.0
    assert rouge_2("metformin lowers blood glucose", "metformin lowers blood glucose") == 1.0


def _answer(bullet_text: str, cited: list[int]) -> Answer:
    quote = Quote(sentence_id="d#0.0", section="RESULTS", start=0, end=40,
                  text="In conclusion, exercise reduced pain by 20%.")
    return Answer(
        question="q", direct_answer=DirectAnswer(text="exercise reduced pain by 20%.",
                                                 citations=[1], sentence_ids=["d#0.0"]),
        sections=[AnswerSection(facet="treatment", title="Treatment options", bullets=[
            Bullet(text=bullet_text, citations=cited, sentence_ids=["d#0.0"])])],
        references=[Reference(number=1, document_id="d", kind=Kind.OTHER, kind_label="Research",
                              title="t", quotes=[quote])],
    )


def test_traceability_catches_invented_text_and_dangling_citations():
    assert traceability(_answer("exercise reduced pain", [1])) == (2, 2)
    assert traceability(_answer("exercise cured pain", [1])) == (1, 2)
    assert traceability(_answer("exercise reduced pain", [])) == (1, 2)
    # A citation that resolves to no reference makes the whole page untraceable.
    assert traceability(_answer("exercise reduced pain", [2])) == (0, 2)
