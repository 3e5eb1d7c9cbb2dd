"""The benchmark sets' questions and corpora: reading them and asking them of a fresh library.

Shared by the answer evaluation (`citemed.eval.answers`) and the threshold benches in bench/,
so every one of them asks the same questions of the same libraries.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from citemed.engine import Engine
from citemed.errors import CiteMedError
from citemed.library import Library
from citemed.model import Document
from citemed.readers.data import is_dev
from citemed.settings import Settings
from citemed.sources.base import Reader


@contextmanager
def temporary_library(folder: Path, documents: Iterable[Document], source_name: str,
                      base: Settings | None = None) -> Iterator[Engine]:
    """An engine over a fresh library holding `documents`, ingested the normal way; other
    settings (the reader, its threshold) come from `base`."""
    settings = (base or Settings()).model_copy(update={"library": folder / "library"})
    library = Library(settings, create=True)
    try:
        library.ingest_documents(documents, source_name=source_name)
        library.refresh_indexes()
        yield Engine(settings, library=library)
    finally:
        library.close()


def read_documents(reader: Reader, path: Path) -> list[Document]:
    return [d for d in reader.read(path) if isinstance(d, Document)]


def pubmedqa_items(data: Path, limit: int | None, *,
                    dev: bool = False) -> list[tuple[str, str, str]]:
    """(PMID, question, gold) of the test split, or with `dev` of the train_dev questions the
    evidence reader held out (its development split: never trained on)."""
    folder = data / "pubmedqa"
    records = json.loads((folder / "ori_pqal.json").read_text(encoding="utf-8"))
    split = json.loads((folder / "pqal_split_pmids.json").read_text())
    if dev:
        pmids = sorted(p for p in split["train_dev"] if is_dev(f"pubmedqa:{p}"))
        gold = {p: records[p]["final_decision"] for p in pmids}
    else:
        pmids = sorted(split["test"])
        gold = json.loads((folder / "test_ground_truth.json").read_text())
    items = [(pmid, records[pmid]["QUESTION"], gold[pmid]) for pmid in pmids]
    return items[:limit] if limit else items


BIOASQ_TRAIN = Path("bioasq_train") / "bioasq_train_1B-6B.json"


def bioasq_questions(data: Path, qtype: str, limit: int | None, *,
                      dev: bool = False) -> list[dict]:
    """BioASQ questions of one type: the 7B-11B test sets, or with `dev` the BioASQ 1B-6B
    training questions that the evidence reader held out (its development split)."""
    if dev:
        files = [data / BIOASQ_TRAIN]
    else:
        files = sorted((data / "bioasq").rglob("*_golden.json"))
    if not files or not files[0].exists():
        raise CiteMedError(f"no BioASQ golden files under {files[0] if files else data}")
    out = []
    for file in files:
        for q in json.loads(file.read_text(encoding="utf-8"))["questions"]:
            if q.get("type") == qtype and (not dev or is_dev(f"bioasq:{q.get('id')}")):
                out.append(q)
    return out[:limit] if limit else out


ANSWERABILITY_FOLDS = 4


def answerability_folds(questions: list[dict], docs: list[Document]
                        ) -> Iterator[tuple[list[dict], list[Document]]]:
    """(questions of the fold, the documents left once every gold document of theirs is gone)."""
    for fold in range(ANSWERABILITY_FOLDS):
        asked = questions[fold::ANSWERABILITY_FOLDS]
        gold = {u.rstrip("/").rsplit("/", 1)[-1] for q in asked for u in q.get("documents") or []}
        yield asked, [d for d in docs if d.pmid not in gold]
