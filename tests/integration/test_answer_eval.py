"""Answer quality on the public benchmarks, against the pinned expected scores.

Runs every answer set in full (PubMedQA test 500, BioASQ yes/no 618, BioASQ summary 543; about
a minute on 2 cores): traceability must be 100% over every answer produced, and every metric must
stay within the pinned tolerance. Re-pin after an intended change with
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

    return {r.name: r for r in run(Settings(data=shared_data()), SETS)}


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
        assert results[name].metrics[metric] == pytest.approx(value, abs=expected["tolerance"]), \
            f"{name} {metric}"
