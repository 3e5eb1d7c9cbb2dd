import math

import pytest

from citemed.eval.retrieval import metric


def test_recall_and_precision_count_relevant_keys_in_the_cutoff():
    relevant = {"a": 1, "b": 1}
    assert metric("recall@2", ["a", "x", "b"], relevant) == 0.5
    assert metric("recall@3", ["a", "x", "b"], relevant) == 1.0
    assert metric("p@2", ["a", "x", "b"], relevant) == 0.5


def test_map_divides_by_the_relevant_count_capped_at_k():
    # precision at the two relevant ranks: 1/1 and 2/3
    assert metric("map@10", ["a", "x", "b"], {"a": 1, "b": 1}) == pytest.approx((1 + 2 / 3) / 2)
    assert metric("map@1", ["a"], {"a": 1, "b": 1, "c": 1}) == 1.0


def test_ndcg_uses_graded_gains_against_the_ideal_order():
    relevant = {"a": 2, "b": 1}
    dcg = (2**1 - 1) / math.log2(2) + (2**2 - 1) / math.log2(3)
    idcg = (2**2 - 1) / math.log2(2) + (2**1 - 1) / math.log2(3)
    assert metric("ndcg@10", ["b", "a"], relevant) == pytest.approx(dcg / idcg)
    assert metric("ndcg@10", ["x"], relevant) == 0.0


def test_unknown_metric_is_an_error():
    with pytest.raises(ValueError, match="unknown metric"):
        metric("mrr@10", ["a"], {"a": 1})
