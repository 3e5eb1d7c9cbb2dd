"""The dense index's approximate search (usearch HNSW) and incremental updates, on generated
vectors: clustered unit vectors stand in for MiniLM heads, so no model is needed."""

from __future__ import annotations

import numpy as np
import pytest

import citemed.library.dense as dense_module
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
        total += len(exact & {index.doc_id(r) for r in rows}) / 10
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
        assert doc_id not in {second.doc_id(r) for r in rows}
    assert recall_at_10(second, corpus, clustered(50)) >= 0.95
    # The index the first reader mapped still reads its own rows (rows are never rewritten).
    assert first.doc_id(0) == "d0"
    assert np.array_equal(np.asarray(first.vector("d0")), np.asarray(first.vectors[0]))


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
    assert third.live == 600 and len(third.ids) == 601  # d900 retired, appended again
    assert len(corpus.embedded) - embedded == 1  # compaction copies vectors, never re-embeds
    assert sorted(p.name for p in tmp_path.glob("dense-*")) == [
        f"dense-{third.generation}.{ext}" for ext in ("f16", "hashes.npy", "ids.npy", "usearch")]
    assert recall_at_10(third, corpus, clustered(30)) >= 0.95


def test_small_indexes_search_exactly(tmp_path):
    corpus = Corpus(300)
    index = update_dense_index(tmp_path, corpus.hashes, lambda ids: [(i, i) for i in ids],
                               version="v", embed=corpus.embed, ann_min_documents=1000)
    assert index.ann is None and not list(tmp_path.glob("*.usearch"))
    assert recall_at_10(index, corpus, clustered(20)) == 1.0


def graph_resident_kib(path) -> int:
    """Resident KiB of this process's mappings of `path` (/proc/self/smaps)."""
    total, inside = 0, False
    for line in open("/proc/self/smaps"):
        if not line[0].isupper():  # a mapping's header line: address range ... path
            inside = line.rstrip().endswith(str(path))
        elif inside and line.startswith("Rss:"):
            total += int(line.split()[1])
    return total


@pytest.mark.skipif(not __import__("os").path.exists("/proc/self/smaps"), reason="Linux /proc")
def test_graph_pages_are_dropped_past_the_resident_budget(tmp_path, monkeypatch):
    corpus = Corpus(3000)
    corpus.update(tmp_path)
    graph = next(tmp_path.glob("*.usearch"))
    queries = clustered(20)
    kept = DenseIndex.load(tmp_path, graph_resident_mib=0)
    for query in queries:
        kept.nearest(query, 10)
    assert graph_resident_kib(graph) > 0 and kept.releases == 0  # no budget: pages stay
    del kept
    # The process's resident size moves with everything else the test process does, so the
    # growth the budget reads is scripted: 5 MiB past the load-time figure on every search.
    monkeypatch.setattr(dense_module, "resident_mib", lambda: 1000.0)
    dropped = DenseIndex.load(tmp_path, graph_resident_mib=4)
    monkeypatch.setattr(dense_module, "resident_mib", lambda: 1005.0)
    for query in queries:
        dropped.nearest(query, 10)
        assert graph_resident_kib(graph) == 0  # the real pages are gone right after
        monkeypatch.setattr(dense_module, "resident_mib",
                            lambda base=dropped._resident_base: base + 5.0)
    assert dropped.releases == len(queries)
    assert recall_at_10(dropped, corpus, queries) >= 0.95  # released pages read back the same
    monkeypatch.setattr(dense_module, "resident_mib", lambda: 1000.0)
    within = DenseIndex.load(tmp_path, graph_resident_mib=10)
    monkeypatch.setattr(dense_module, "resident_mib", lambda: 1005.0)
    within.nearest(queries[0], 10)  # 5 MiB of growth: under the budget
    assert within.releases == 0 and graph_resident_kib(graph) > 0


def test_graph_rows_are_rescored_exactly_from_the_float16_rows(tmp_path):
    corpus = Corpus(2000)
    index = corpus.update(tmp_path)
    query = clustered(1)[0]
    rows, cosines = index.nearest(query, 10)
    stored = np.asarray(index.vectors[rows], dtype=np.float32) @ query
    assert np.allclose(cosines, stored, atol=1e-6) and np.all(np.diff(cosines) <= 0)
    assert np.allclose(index.similarity(query, rows[::-1]), stored[::-1], atol=1e-6)


def test_a_format_2_index_is_read_and_rewritten_by_the_next_update(tmp_path):
    import json

    from usearch.index import Index

    corpus = Corpus(1200)
    index = corpus.update(tmp_path)
    doc_ids = [index.doc_id(r) for r in range(len(index.ids))]
    # The older layout: row ids and full hashes as JSON lists, a float16 inner-product graph.
    graph = Index(ndim=DIM, metric="ip", dtype="f16")
    graph.add(np.arange(len(doc_ids), dtype=np.uint64),
              np.asarray(index.vectors, dtype=np.float32))
    graph_path = next(tmp_path.glob("*.usearch"))
    del index
    graph.save(str(graph_path))
    for path in tmp_path.glob("*.npy"):
        path.unlink()
    meta = json.loads((tmp_path / "dense.json").read_text())
    meta.update(format=2, doc_ids=doc_ids, hashes=["h0" * 40] * len(doc_ids))
    (tmp_path / "dense.json").write_text(json.dumps(meta))
    corpus.hashes = {doc_id: "h0" * 40 for doc_id in corpus.hashes}
    old = DenseIndex.load(tmp_path)
    assert old is not None and old.live == 1200 and old.doc_id(5) == "d5"
    embedded = len(corpus.embedded)
    corpus.hashes["n0"], corpus.vectors["n0"] = "h0" * 40, clustered(1)[0]
    new = corpus.update(tmp_path)
    assert len(corpus.embedded) - embedded == 1  # the hash prefix matched: nothing re-embedded
    assert json.loads((tmp_path / "dense.json").read_text())["format"] == 3
    assert str(Index.metadata(str(graph_path))["kind_scalar"]).endswith("I8")
    assert new.live == 1201 and recall_at_10(new, corpus, clustered(30)) >= 0.95
