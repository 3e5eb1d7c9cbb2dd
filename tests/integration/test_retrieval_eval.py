"""Regression guard: retrieval quality on a fixed benchmark subset must not drop.

Runs the first 200 BioASQ questions (over the full 13,449-document snippet corpus), the 500
PubMedQA test questions and the 188 SciFact dev claims with the default configuration (dense on),
and compares CiteMed and the baseline with the values pinned in
src/citemed/eval/expected/retrieval.json (regenerate them with the command in docs/notes/issue-6.md
when retrieval improves on purpose). Embedding the three corpora (19,632 document heads) is most
of the time: a few minutes on 2 cores, seconds when the vector cache already holds them.
"""

import json
from importlib import resources

import pytest

from citemed.eval.retrieval import available_sets, run_set
from citemed.settings import Settings

pytestmark = pytest.mark.integration

EXPECTED = json.loads(
    resources.files("citemed.eval").joinpath("expected/retrieval.json").read_text()
)


@pytest.mark.parametrize("name", sorted(EXPECTED["subset"]))
def test_retrieval_subset_matches_pinned_scores(name, data_dir):
    pinned = EXPECTED["subset"][name]
    result = run_set(available_sets(data_dir)[name](), Settings(data=data_dir),
                     limit=pinned["limit"])
    assert result.queries == pinned["queries"]
    tolerance = EXPECTED["tolerance"]
    for metric, value in pinned["citemed"].items():
        assert result.citemed[metric] >= value - tolerance, (metric, result.citemed)
    # The baseline is deterministic: a change means the corpus or the readers changed.
    for metric, value in pinned["baseline"].items():
        assert result.baseline[metric] == pytest.approx(value, abs=tolerance), metric
