"""`citemed models train` end to end on a tiny task: real MiniLM, real optimiser, real files.

The pairs come from a small in-test task registered in `TASKS`; everything after the data
(batching, loss, checkpoints, resume, dev figures, weights, card, loading) is the shipped code.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from citemed.readers import EvidenceReader
from citemed.readers import train as training
from citemed.readers.card import write_card
from citemed.readers.data import Pair, is_dev
from citemed.readers.model import CONFIG_FILE, WEIGHTS_FILE

TOPICS = [("Does metformin lower HbA1c in type 2 diabetes?",
           "Metformin | Metformin lowered HbA1c by 1.1% compared with placebo.", "yes"),
          ("Does vitamin C prevent the common cold?",
           "Vitamin C trials | Regular vitamin C did not reduce the incidence of colds.", "no"),
          ("Is aspirin effective for secondary prevention of stroke?",
           "Aspirin | Aspirin reduced recurrent stroke in patients with a prior stroke.", "yes"),
          ("Do antibiotics shorten viral bronchitis?",
           "Bronchitis | Antibiotics gave no benefit in acute viral bronchitis.", "no")]


def tiny_task(data: Path, seed: int) -> list[Pair]:
    """40 questions, each with its own passage (relevant, with a stance) and another's."""
    pairs = []
    for i in range(40):
        question, passage, stance = TOPICS[i % len(TOPICS)]
        other = TOPICS[(i + 1) % len(TOPICS)][1]
        group = f"tiny-{i}"
        pairs.append(Pair("tiny", group, f"{question} ({i})", passage, True, stance))
        pairs.append(Pair("tiny", group, f"{question} ({i})", other, False))
    return pairs


@pytest.fixture(scope="module")
def task():
    groups = [f"tiny-{i}" for i in range(40)]
    assert any(map(is_dev, groups)) and not all(map(is_dev, groups)), "fixture needs both splits"
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(training.TASKS, "tiny", tiny_task)
        yield "tiny"


def options(root: Path, name: str, task: str) -> training.TrainOptions:
    return training.TrainOptions(data=root / "no-data", out=root / name / "out",
                                 work=root / name / "work", task=task, batch=8,
                                 max_tokens=48, checkpoint_every=3, epochs=1.0)


@pytest.fixture(scope="module")
def trained(tmp_path_factory, task):
    """One full run: its options, its metadata and what it logged."""
    lines: list[str] = []
    opts = options(tmp_path_factory.mktemp("train"), "a", task)
    meta = training.train(opts, log=lines.append)
    return opts, meta, lines


def test_training_writes_weights_a_card_and_a_reader_that_loads(trained):
    opts, meta, lines = trained
    write_card(opts.out, meta)
    assert (opts.out / WEIGHTS_FILE).stat().st_size > 1_000_000
    assert (opts.out / CONFIG_FILE).exists()
    card = (opts.out / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert meta["commit"] in card and "--seed 13" in card
    assert meta["train_pairs"] + meta["dev"]["pairs"] == 80
    assert 0.05 <= meta["dev"]["relevance_threshold"] <= 0.95
    assert any(line.startswith("step ") for line in lines)
    reader = EvidenceReader(opts.out)
    reading = reader.read(TOPICS[0][0], [TOPICS[0][1]])[0]
    assert 0.0 <= reading.relevance <= 1.0
    assert reading.yes + reading.no + reading.neutral == pytest.approx(1.0, abs=1e-4)


def test_same_seed_gives_the_same_weights(tmp_path, trained, task):
    from safetensors.torch import load_file

    first, second = trained[0], options(tmp_path, "b", task)
    training.train(second, log=lambda _: None)
    a, b = load_file(first.out / WEIGHTS_FILE), load_file(second.out / WEIGHTS_FILE)
    assert a.keys() == b.keys()
    assert all(bool((a[k] == b[k]).all()) for k in a)


class Killed(Exception):
    pass


def test_a_killed_run_resumes_from_its_last_checkpoint(tmp_path, task, monkeypatch):
    opts = options(tmp_path, "a", task)
    save = training._Checkpoint.save

    def save_then_die(self, *args, **kwargs):
        save(self, *args, **kwargs)
        raise Killed

    monkeypatch.setattr(training._Checkpoint, "save", save_then_die)
    with pytest.raises(Killed):
        training.train(opts, log=lambda _: None)
    assert (opts.work / "checkpoint.pt").exists() and not (opts.out / WEIGHTS_FILE).exists()
    monkeypatch.setattr(training._Checkpoint, "save", save)
    lines: list[str] = []
    training.train(opts, log=lines.append)
    assert any(line.startswith(f"resumed at step {opts.checkpoint_every} of ") for line in lines)
    assert (opts.out / WEIGHTS_FILE).exists()
