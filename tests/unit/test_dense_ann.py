"""The dense index's approximate search (usearch HNSW) and incremental updates, on generated
vectors: clustered unit vectors stand in for MiniLM heads, so no model is needed."""

from __future__ import annotations

import numpy as np
import pytest

from citemed.library.dense import DenseIndex, update_dense_index
from citemed.library.embed import DIM

pytest.importorskip("usearch")

RNG = np.random.default_rng(11)
CENTRES = RNG.standard_normal((40, DIM)).astype(np.float32)


def clustered(count: int) -> np.ndarray:
    points = CENTRES[RNG.integers(0, len(CENTRES), count)]
    points = points + 0.9 * RNG.standard_normal((count, DIM)).astype(np.float32)
    return points / np.linalg.norm(points, axis=1, keepdims=True)


class Corpus:
    """Document id -> (content hash, vector); the 'head text' of a document is its id."""

    def __init__(self, count: int) -> None:
        self.vectors = dict(zip([f"d{i}" for i in range(count)], clustered(count), strict=True))
        self.hashes = {doc_id: "h0" for doc_id in self.vectors}
        self.embedded: list[str] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.embedded += texts
        return np.stack([self.vectors[t] for t in texts]) if texts else np.zeros((0, DIM))

    def update(self, folder, **kw) -> DenseIndex:
        return update_dense_index(folder, dict(self.hashes), lambda ids: [(i, i) for i in ids],
                                  version=str(len(self.embedded)), embed=self.embed,
                                  ann_min_documents=0, **kw)


def recall_at_10(index: DenseIndex, corpus: Corpus, queries: np.ndarray) -> float:
    ids = list(corpus.vectors)
    matrix = np.stack([corpus.vectors[i] for i in ids])
    total = 0.0
    for query in queries:
        exact = {ids[r] for r in np.argsort(-(matrix @ query))[:10]}
        rows, _ = index.nearest(query, 10)
        total += len(exact & {index.doc_ids[r] for r in rows}) / 10
    return total / len(queries)


def test_approximate_search_finds_the_exact_top_10(tmp_path):
    corpus = Corpus(3000)
    index = corpus.update(tmp_path)
    assert index.ann is not None and len(index.ann) == 3000
    assert recall_at_10(index, corpus, clustered(50)) >= 0.95


def test_updates_add_retire_and_replace_rows_without_rebuilding(tmp_path):
    corpus = Corpus(1500)
    first = corpus.update(tmp_path)
    generation, embedded = first.generation, len(corpus.embedded)
    # An update file: 300 new records, 100 changed ones, 200 deleted (DeleteCitation).
    for i, vector in enumerate(clustered(300)):
        corpus.vectors[f"n{i}"], corpus.hashes[f"n{i}"] = vector, "h0"
    changed = [f"d{i}" for i in range(0, 200, 2)]
    for doc_id, vector in zip(changed, clustered(len(changed)), strict=True):
        corpus.vectors[doc_id], corpus.hashes[doc_id] = vector, "h1"
    deleted = [f"d{i}" for i in range(1000, 1200)]
    for doc_id in deleted:
        del corpus.vectors[doc_id], corpus.hashes[doc_id]
    second = corpus.update(tmp_path)
    # Only the new and changed documents were embedded, into the same files.
    assert len(corpus.embedded) - embedded == 400
    assert second.generation == generation
    assert second.live == len(corpus.vectors) == len(second.ann)
    for doc_id in changed[:20]:
        assert np.allclose(second.vector(doc_id).astype(np.float32), corpus.vectors[doc_id],
                           atol=2e-3)
    assert all(second.vector(doc_id) is None for doc_id in deleted)
    for doc_id in deleted[:50]:  # a deleted document's own vector no longer finds it
        rows, _ = second.nearest(first.vector(doc_id).astype(np.float32), 10)
        assert doc_id not in {second.doc_ids[r] for r in rows}
    assert recall_at_10(second, corpus, clustered(50)) >= 0.95
    # The index the first reader mapped still reads its own rows (rows are never rewritten).
    assert np.array_equal(np.asarray(first.vector("d0")),
                          np.asarray(first.vectors[first.rows()["d0"]]))


def test_many_retired_rows_compact_into_a_new_generation(tmp_path):
    corpus = Corpus(1000)
    first = corpus.update(tmp_path)
    for doc_id in [f"d{i}" for i in range(400)]:
        del corpus.vectors[doc_id], corpus.hashes[doc_id]
    corpus.update(tmp_path)  # retires 40% of the rows
    embedded = len(corpus.embedded)
    corpus.hashes["d900"] = "h2"  # any change triggers the next update, which compacts
    third = corpus.update(tmp_path)
    assert third.generation == first.generation + 1
    assert third.live == 600 and len(third.doc_ids) == 601  # d900 retired, appended again
    assert len(corpus.embedded) - embedded == 1  # compaction copies vectors, never re-embeds
    assert sorted(p.name for p in tmp_path.glob("dense-*")) == [
        f"dense-{third.generation}.f16", f"dense-{third.generation}.usearch"]
    assert recall_at_10(third, corpus, clustered(30)) >= 0.95


def test_small_indexes_search_exactly(tmp_path):
    corpus = Corpus(300)
    index = update_dense_index(tmp_path, corpus.hashes, lambda ids: [(i, i) for i in ids],
                               version="v", embed=corpus.embed, ann_min_documents=1000)
    assert index.ann is None and not list(tmp_path.glob("*.usearch"))
    assert recall_at_10(index, corpus, clustered(20)) == 1.0
