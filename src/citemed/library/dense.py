"""The dense index: one MiniLM head vector per document, memory-mapped, with an HNSW graph.

Files in the library's index folder (all derived from the store, rebuilt by `update`):
    dense.json               model, library version, row -> (document id, content hash); a row
                             whose id is "" was retired (the document changed or was deleted)
    dense-<gen>.f16          float16 rows, appended in place: a reader's memory map keeps
                             seeing the rows it knew (rows are never rewritten, only retired)
    dense-<gen>.usearch      HNSW graph (usearch, inner product) over the live rows, served as
                             a memory-mapped view; present only from `ann_min_documents` rows
When retired rows pass a quarter of the file, the next update writes generation gen + 1
without them. Updates embed only new or changed documents (content hash), so a daily PubMed
update costs time for its own records.

Searching: below `ann_min_documents` every live row is scored exactly (a 37k x 384 product is a
few milliseconds); above it the graph gives the nearest rows. usearch was chosen over hnswlib
and faiss-cpu by bench/ann_compare.py (docs/notes/issue-12.md): same recall and speed, and the
only one of the three with removals, float16 storage and memory-mapped serving together.
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from citemed.library.embed import DIM, MODEL_NAME, ProgressFactory, head_text

if TYPE_CHECKING:
    from usearch.index import Index

FORMAT = 2
# HNSW parameters: recall@10 >= 0.99 on generated and demo-library vectors (bench/ann_compare.py).
CONNECTIVITY = 16
EXPANSION_ADD = 128
EXPANSION_SEARCH = 128
# Rewrite without retired rows when they are this share of the file.
COMPACT_SHARE = 0.25
# Documents embedded (and appended) per step: bounded memory, and an interrupted update keeps
# what it embedded in the vector cache.
UPDATE_BATCH = 1024


@dataclass
class DenseIndex:
    folder: Path
    doc_ids: list[str]  # per row; "" = retired
    hashes: list[str]
    version: str
    generation: int = 0
    model: str = MODEL_NAME
    vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, DIM), dtype=np.float16))
    ann: Index | None = None  # a memory-mapped view, or None: exact search
    _matrix: np.ndarray | None = None
    _rows: dict[str, int] | None = None

    # ------------------------------------------------------------------ reading

    @property
    def live(self) -> int:
        return sum(1 for doc_id in self.doc_ids if doc_id)

    def rows(self) -> dict[str, int]:
        """Document id -> row, live rows only."""
        if self._rows is None:
            self._rows = {doc_id: row for row, doc_id in enumerate(self.doc_ids) if doc_id}
        return self._rows

    def vector(self, doc_id: str) -> np.ndarray | None:
        row = self.rows().get(doc_id)
        return None if row is None else np.asarray(self.vectors[row])

    def similarity(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Exact cosine of the query with the given rows (vectors are unit length)."""
        if not len(rows):
            return np.zeros(0, dtype=np.float32)
        if self._matrix is not None:
            return self._matrix[rows] @ query
        order = np.argsort(rows)  # sorted reads from the memory map
        out = np.empty(len(rows), dtype=np.float32)
        out[order] = np.asarray(self.vectors[rows[order]], dtype=np.float32) @ query
        return out

    def all_scores(self, query: np.ndarray) -> np.ndarray:
        """Cosine of every row (retired rows included: callers map only live ones)."""
        if self._matrix is None:
            # Converted once: float16 on disk, float32 for BLAS. Only exact-search libraries
            # (below ann_min_documents) get here, so this stays small.
            self._matrix = np.asarray(self.vectors, dtype=np.float32)
        return self._matrix @ query

    def nearest(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(rows, cosines) of the k nearest live rows, best first."""
        if self.ann is None:
            scores = self.all_scores(query)
            live = np.asarray([bool(d) for d in self.doc_ids])
            scores = np.where(live, scores, -np.inf)
            k = min(k, int(live.sum()))
            if k <= 0:
                return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
            top = np.argpartition(-scores, k - 1)[:k]
            top = top[np.argsort(-scores[top], kind="stable")]
            return top.astype(np.int64), scores[top].astype(np.float32)
        matches = self.ann.search(query, k, threads=1)
        rows = np.asarray(matches.keys, dtype=np.int64)
        return rows, (1.0 - np.asarray(matches.distances, dtype=np.float32))

    # ------------------------------------------------------------------ persistence

    @staticmethod
    def files(folder: Path, generation: int) -> tuple[Path, Path]:
        return folder / f"dense-{generation}.f16", folder / f"dense-{generation}.usearch"

    @classmethod
    def load(cls, folder: Path) -> DenseIndex | None:
        """The index on disk, memory-mapped; None when missing or from another model/format."""
        meta_path = folder / "dense.json"
        if not meta_path.exists():
            return None
        meta = json.loads(meta_path.read_text())
        if meta.get("format") != FORMAT or meta.get("model") != MODEL_NAME:
            return None
        generation = int(meta["generation"])
        vectors_path, ann_path = cls.files(folder, generation)
        rows = len(meta["doc_ids"])
        if not vectors_path.exists() or vectors_path.stat().st_size < rows * DIM * 2:
            return None
        vectors = (np.memmap(vectors_path, dtype=np.float16, mode="r", shape=(rows, DIM))
                   if rows else np.zeros((0, DIM), dtype=np.float16))
        ann = None
        if meta.get("ann") and ann_path.exists():
            from usearch.index import Index

            # restore() gives None for a file without usearch metadata: search exactly then.
            ann = Index.restore(str(ann_path), view=True)
            if ann is not None:
                # usearch defines this setter apart from its getter, which mypy reads as read-only.
                ann.expansion_search = EXPANSION_SEARCH  # type: ignore[misc]
        return cls(folder, meta["doc_ids"], meta["hashes"], meta["version"], generation,
                   meta["model"], vectors, ann)


def _write_meta(folder: Path, doc_ids: list[str], hashes: list[str], version: str,
                generation: int, ann: bool) -> None:
    tmp = folder / "dense.tmp.json"
    tmp.write_text(json.dumps({"format": FORMAT, "model": MODEL_NAME, "version": version,
                               "generation": generation, "ann": ann, "doc_ids": doc_ids,
                               "hashes": hashes}))
    os.replace(tmp, folder / "dense.json")


def update_dense_index(
    folder: Path,
    current: dict[str, str],
    load_heads: Callable[[list[str]], Iterable[tuple[str, str]]],
    *,
    version: str,
    embed: Callable[[list[str]], np.ndarray],
    ann_min_documents: int,
    force: bool = False,
    progress: ProgressFactory | None = None,
) -> DenseIndex:
    """Bring the dense index in `folder` up to `current` (document id -> content hash).

    Rows of documents that are gone or changed are retired; new and changed documents are
    embedded (`load_heads(ids)` yields (id, head text), `embed(texts)` gives unit vectors) and
    appended. Time is proportional to
    the changed documents, plus one graph update (removals and additions, not a rebuild).
    """
    folder.mkdir(parents=True, exist_ok=True)
    old = None if force else DenseIndex.load(folder)
    if old is not None and old.live and (len(old.doc_ids) - old.live) > COMPACT_SHARE * len(
            old.doc_ids):
        old = _compacted(old)
    if old is None:
        generation = _next_generation(folder)
        doc_ids: list[str] = []
        hashes: list[str] = []
    else:
        generation = old.generation
        doc_ids, hashes = list(old.doc_ids), list(old.hashes)
    vectors_path, ann_path = DenseIndex.files(folder, generation)
    known = {d: r for r, d in enumerate(doc_ids) if d}
    retired = [row for doc_id, row in known.items()
               if current.get(doc_id) != hashes[row]]
    for row in retired:
        doc_ids[row] = ""
    todo = [doc_id for doc_id, digest in current.items()
            if known.get(doc_id) is None or doc_ids[known[doc_id]] == ""]
    first_new = len(doc_ids)
    tick = progress("dense: embedding document heads", len(todo)) if progress and todo else None
    with open(vectors_path, "ab") as out:
        out.truncate(first_new * DIM * 2)  # drop rows of an update that died before its meta
        for start in range(0, len(todo), UPDATE_BATCH):
            chunk = todo[start:start + UPDATE_BATCH]
            heads = dict(load_heads(chunk))
            texts = [heads.get(doc_id, "") for doc_id in chunk]
            out.write(np.asarray(embed(texts), dtype=np.float16).tobytes())
            out.flush()
            doc_ids += chunk
            hashes += [current[doc_id] for doc_id in chunk]
            if tick:
                tick(len(chunk))
    live_rows = np.asarray([r for r, d in enumerate(doc_ids) if d], dtype=np.uint64)
    # Without usearch installed a large library still works, by exact search.
    use_ann = (len(live_rows) >= ann_min_documents
               and importlib.util.find_spec("usearch") is not None)
    if use_ann:
        vectors = np.memmap(vectors_path, dtype=np.float16, mode="r", shape=(len(doc_ids), DIM))
        _update_graph(ann_path, vectors, live_rows, retired, first_new, progress)
    elif ann_path.exists():
        ann_path.unlink()
    _write_meta(folder, doc_ids, hashes, version, generation, use_ann)
    _remove_other_generations(folder, generation)
    loaded = DenseIndex.load(folder)
    assert loaded is not None
    return loaded


def _update_graph(path: Path, vectors: np.ndarray, live_rows: np.ndarray, retired: list[int],
                  first_new: int, progress: ProgressFactory | None) -> None:
    """Add the new rows to the graph and remove the retired ones; the file is replaced
    atomically so a server's view of the old graph stays valid."""
    from usearch.index import Index

    index = Index(ndim=DIM, metric="ip", dtype="f16", connectivity=CONNECTIVITY,
                  expansion_add=EXPANSION_ADD, expansion_search=EXPANSION_SEARCH)
    if path.exists():
        index.load(str(path))
        stale = [row for row in retired if index.contains(row)]
        if stale:
            index.remove(np.asarray(stale, dtype=np.uint64))
        new = live_rows[live_rows >= first_new]
    else:
        new = live_rows
    tick = progress("dense: approximate-search graph", len(new)) if progress and len(new) else None
    threads = max(1, min(2, os.cpu_count() or 1))
    for start in range(0, len(new), 20_000):
        keys = new[start:start + 20_000]
        index.add(keys, np.asarray(vectors[keys.astype(np.int64)], dtype=np.float32),
                  threads=threads)
        if tick:
            tick(len(keys))
    tmp = path.with_suffix(".tmp")
    index.save(str(tmp))
    os.replace(tmp, path)


def _compacted(old: DenseIndex) -> DenseIndex:
    """A new generation holding only the live rows (their vectors copied, never re-embedded)."""
    generation = old.generation + 1
    vectors_path, _ = DenseIndex.files(old.folder, generation)
    live = [row for row, doc_id in enumerate(old.doc_ids) if doc_id]
    with open(vectors_path, "wb") as out:
        for start in range(0, len(live), UPDATE_BATCH):
            out.write(np.asarray(old.vectors[live[start:start + UPDATE_BATCH]],
                                 dtype=np.float16).tobytes())
    doc_ids = [old.doc_ids[row] for row in live]
    hashes = [old.hashes[row] for row in live]
    # No graph yet for this generation: `update` builds it from every live row.
    return DenseIndex(old.folder, doc_ids, hashes, old.version, generation, old.model,
                      np.memmap(vectors_path, dtype=np.float16, mode="r",
                                shape=(len(doc_ids), DIM)))


def _next_generation(folder: Path) -> int:
    found = [int(p.stem.split("-")[1]) for p in folder.glob("dense-*.f16")
             if p.stem.split("-")[1].isdigit()]
    return max(found, default=-1) + 1


def _remove_other_generations(folder: Path, keep: int) -> None:
    # A server still mapping an old generation keeps its pages (POSIX unlink semantics).
    for path in list(folder.glob("dense-*.f16")) + list(folder.glob("dense-*.usearch")):
        if path.stem != f"dense-{keep}":
            path.unlink(missing_ok=True)
    for legacy in ("dense.npy",):  # format 1 (issue 6): one .npy, rebuilt from the cache
        (folder / legacy).unlink(missing_ok=True)


def head_texts(documents: Iterable) -> Iterable[tuple[str, str]]:
    return ((doc.id, head_text(doc)) for doc in documents)
