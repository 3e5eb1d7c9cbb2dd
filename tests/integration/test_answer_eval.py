"""Answer quality on the public benchmarks, against the pinned expected scores.

Runs the pinned regression subset (the first `limit` questions of every set, answerability
included; a few minutes on 2 cores with the evidence reader): traceability must be 100% over
every answer produced, and every metric must stay within the pinned tolerance. Re-pin after an
intended change with
`citemed eval answers --data DATA --pin src/citemed/eval/expected/answers.json`.
"""

from __future__ import annotations

import json

import pytest

from citemed.eval.answers import EXPECTED_FILE, SETS, run
from citemed.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def results():
    from tests.conftest import shared_data

    expected = json.loads(EXPECTED_FILE.read_text())
    settings = Settings(data=shared_data(), dense=expected["dense"])
    return {r.name: r for r in run(settings, SETS, limit=expected["limit"])}


def test_every_statement_of_every_eval_answer_is_traceable(results):
    for result in results.values():
        assert result.metrics["statements"] > 0
        assert result.metrics["traceability"] == 1.0, result.name


@pytest.mark.parametrize("name", SETS)
def test_scores_match_the_pinned_figures(results, name):
    expected = json.loads(EXPECTED_FILE.read_text())
    pinned = expected["sets"][name]
    assert results[name].questions == pinned["questions"]
    for metric, value in pinned["metrics"].items():
        if metric == "statements":  # a count, shown for context; the rates are what we guard
            continue
        assert results[name].metrics[metric] == pytest.approx(value, abs=expected["tolerance"]), \
            f"{name} {metric}"
