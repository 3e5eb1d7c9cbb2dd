"""The dense index: one MiniLM head vector per document, memory-mapped, with an HNSW graph.

Files in the library's index folder (all derived from the store, rebuilt by `update`):
    dense.json               model, library version, generation, row count, whether a graph
    dense-<gen>.ids.npy      document id of each row (b"" = retired: the document changed or
                             was deleted), and dense-<gen>.hashes.npy its content-hash prefix;
                             memory-mapped, so a server holds no Python object per document
    dense-<gen>.f16          float16 rows, appended in place: a reader's memory map keeps
                             seeing the rows it knew (rows are never rewritten, only retired)
    dense-<gen>.usearch      HNSW graph (usearch, cosine over int8 copies of the rows) of the
                             live rows, served as a memory-mapped view; present only from
                             `ann_min_documents` rows
When retired rows pass a quarter of the file, the next update writes generation gen + 1
without them. Updates embed only new or changed documents (content hash), so a daily PubMed
update costs time for its own records.

Searching: below `ann_min_documents` every live row is scored exactly (a 37k x 384 product is a
few milliseconds); above it the graph gives the nearest rows, which the caller rescores exactly
from the float16 rows (read with pread, so they never count in the server's resident memory).
usearch was chosen over hnswlib and faiss-cpu by bench/ann_compare.py (docs/notes/issue-12.md):
same recall and speed, and the only one of the three with removals, compact storage and
memory-mapped serving together.
"""

from __future__ import annotations

import importlib.util
import json
import mmap
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

import numpy as np

from citemed.library.embed import DIM, MODEL_NAME, ProgressFactory, head_text, usable_cores
from citemed.library.lexical_segments import HASH_BYTES

if TYPE_CHECKING:
    from usearch.index import Index

FORMAT = 3
# Format 2 kept the row ids and hashes as JSON lists; still read, rewritten by the next update.
READABLE_FORMATS = (2, FORMAT)
# HNSW parameters: recall@10 >= 0.99 on generated and demo-library vectors (bench/ann_compare.py).
CONNECTIVITY = 16
EXPANSION_ADD = 128
EXPANSION_SEARCH = 128
# The graph keeps int8 copies of the unit vectors: 40% smaller than float16 (fewer pages to
# map per search), and after the exact float16 rescoring the same recall@10 on the demo
# library's heads (0.960 against 0.961, docs/notes/issue-12.md).
GRAPH_DTYPE = "i8"
GRAPH_METRIC = "cos"
# The int8 graph's own order is approximate: at least this many of its nearest rows are
# rescored exactly, so a top 10 comes out in float16 order (raw int8 recall@10 is ~0.88).
GRAPH_POOL = 100
# Rewrite without retired rows when they are this share of the file.
COMPACT_SHARE = 0.25
# Documents embedded (and appended) per step: bounded memory, and an interrupted update keeps
# what it embedded in the vector cache.
UPDATE_BATCH = 1024
ROW_BYTES = DIM * 2


@dataclass
class DenseIndex:
    folder: Path
    ids: np.ndarray  # bytes per row; b"" = retired
    hashes: np.ndarray  # bytes, the first HASH_BYTES of each row's content hash
    version: str
    generation: int = 0
    model: str = MODEL_NAME
    vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, DIM), dtype=np.float16))
    ann: Index | None = None  # a view of graph_map, or None: exact search
    # When the process's resident memory has grown this much (MiB) since the graph pages were
    # last dropped, a graph search drops them (they stay in the page cache); 0 = never.
    graph_resident_mib: int = 0
    graph_map: mmap.mmap | None = field(default=None, repr=False)  # after `ann`: freed later
    releases: int = 0  # how often the graph pages were dropped (bench/hybrid_synthetic.py)
    _matrix: np.ndarray | None = None
    _rows_file: IO[bytes] | None = None
    _live: int | None = None
    _resident_base: float | None = None

    # ------------------------------------------------------------------ reading

    @property
    def live(self) -> int:
        if self._live is None:
            self._live = int(np.count_nonzero(self.ids))
        return self._live

    def doc_id(self, row: int) -> str:
        """The document of a row ("" when retired)."""
        return bytes(self.ids[row]).decode()

    def vector(self, doc_id: str) -> np.ndarray | None:
        rows = np.flatnonzero(self.ids == doc_id.encode())
        return None if not len(rows) else np.asarray(self.vectors[rows[0]])

    def similarity(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Exact cosine of the query with the given rows (vectors are unit length)."""
        if not len(rows):
            return np.zeros(0, dtype=np.float32)
        if self._matrix is not None:
            return self._matrix[rows] @ query
        if self._rows_file is None:
            self._rows_file = open(self.files(self.folder, self.generation)[0], "rb",  # noqa: SIM115
                                   buffering=0)
        # pread, not the memory map: a mapped row faults in its neighbours too (the kernel's
        # fault-around), and those pages would stay resident. 1,500 rows: 4.6 ms, no RSS.
        fd = self._rows_file.fileno()
        data = b"".join(os.pread(fd, ROW_BYTES, int(row) * ROW_BYTES) for row in rows)
        return np.frombuffer(data, dtype=np.float16).reshape(len(rows), DIM).astype(
            np.float32) @ query

    def all_scores(self, query: np.ndarray) -> np.ndarray:
        """Cosine of every row (retired rows included: callers map only live ones)."""
        if self._matrix is None:
            # Converted once: float16 on disk, float32 for BLAS. Only exact-search libraries
            # (below ann_min_documents) get here, so this stays small.
            self._matrix = np.asarray(self.vectors, dtype=np.float32)
        return self._matrix @ query

    def nearest(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(rows, exact cosines) of the k nearest live rows, best first."""
        if self.ann is None:
            scores = self.all_scores(query)
            live = self.ids != b""
            scores = np.where(live, scores, -np.inf)
            k = min(k, int(live.sum()))
            if k <= 0:
                return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
            top = np.argpartition(-scores, k - 1)[:k]
            top = top[np.argsort(-scores[top], kind="stable")]
            return top.astype(np.int64), scores[top].astype(np.float32)
        matches = self.ann.search(query, max(k, GRAPH_POOL), threads=1)
        self._release_graph_pages()
        rows = np.asarray(matches.keys, dtype=np.int64)
        cosines = self.similarity(query, rows)
        best = np.argsort(-cosines, kind="stable")[:k]
        return rows[best], cosines[best]

    def _release_graph_pages(self) -> None:
        # Each graph fault maps up to 16 neighbouring pages of the page cache, so ten searches
        # map nearly the whole file (906 MiB at 1M with float16). Dropping them costs ~0.07 ms
        # a MiB plus re-faulting, so only past the budget, not after every search. Growth, not
        # the total: a process whose models alone exceed a total would drop on every search.
        if self.graph_map is None or not self.graph_resident_mib:
            return
        now = resident_mib()
        if self._resident_base is None or now < self._resident_base:
            self._resident_base = now
        if now - self._resident_base > self.graph_resident_mib:
            self.graph_map.madvise(mmap.MADV_DONTNEED)
            self.releases += 1
            self._resident_base = resident_mib()

    # ------------------------------------------------------------------ persistence

    @staticmethod
    def files(folder: Path, generation: int) -> tuple[Path, Path]:
        return folder / f"dense-{generation}.f16", folder / f"dense-{generation}.usearch"

    @staticmethod
    def row_files(folder: Path, generation: int) -> tuple[Path, Path]:
        return folder / f"dense-{generation}.ids.npy", folder / f"dense-{generation}.hashes.npy"

    @classmethod
    def load(cls, folder: Path, *, graph_resident_mib: int = 0) -> DenseIndex | None:
        """The index on disk, memory-mapped; None when missing or from another model/format."""
        meta_path = folder / "dense.json"
        if not meta_path.exists():
            return None
        meta = json.loads(meta_path.read_text())
        if meta.get("format") not in READABLE_FORMATS or meta.get("model") != MODEL_NAME:
            return None
        generation = int(meta["generation"])
        vectors_path, ann_path = cls.files(folder, generation)
        if meta["format"] == 2:
            ids = np.asarray([d.encode() for d in meta["doc_ids"]], dtype=bytes)
            hashes = np.asarray([h[:HASH_BYTES].encode() for h in meta["hashes"]], dtype=bytes)
        else:
            ids_path, hashes_path = cls.row_files(folder, generation)
            try:
                # Sliced to the rows the metadata names: an update in progress may append.
                ids = np.load(ids_path, mmap_mode="r")[:meta["rows"]]
                hashes = np.load(hashes_path, mmap_mode="r")[:meta["rows"]]
            except FileNotFoundError:  # replaced by a newer generation meanwhile
                return None
        rows = len(ids)
        if not vectors_path.exists() or vectors_path.stat().st_size < rows * ROW_BYTES:
            return None
        vectors = (np.memmap(vectors_path, dtype=np.float16, mode="r", shape=(rows, DIM))
                   if rows else np.zeros((0, DIM), dtype=np.float16))
        ann, graph_map = None, None
        if meta.get("ann") and ann_path.exists():
            from usearch.index import Index

            with open(ann_path, "rb") as handle:
                graph_map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
            # restore() gives None for a file without usearch metadata: search exactly then.
            ann = Index.restore(memoryview(graph_map), view=True)
            if ann is None:
                graph_map = None
            else:
                # usearch defines this setter apart from its getter, which mypy reads as read-only.
                ann.expansion_search = EXPANSION_SEARCH  # type: ignore[misc]
        return cls(folder, ids, hashes, meta["version"], generation, meta["model"], vectors,
                   ann, graph_resident_mib, graph_map, _resident_base=resident_mib())


def resident_mib() -> float:
    """This process's resident memory (Linux /proc; 0 elsewhere, so nothing is released)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            pages = int(statm.read().split()[1])
    except OSError:
        return 0.0
    return pages * mmap.PAGESIZE / 2**20


def _write_meta(folder: Path, doc_ids: list[str], hashes: list[str], version: str,
                generation: int, ann: bool) -> None:
    # The row arrays first, then the metadata that names them: a reader never sees metadata
    # for rows that are not on disk.
    for path, values in zip(DenseIndex.row_files(folder, generation), (doc_ids, hashes),
                            strict=True):
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as out:
            np.save(out, np.asarray([value.encode() for value in values], dtype=bytes))
        os.replace(tmp, path)
    tmp = folder / "dense.tmp.json"
    tmp.write_text(json.dumps({"format": FORMAT, "model": MODEL_NAME, "version": version,
                               "generation": generation, "ann": ann, "rows": len(doc_ids)}))
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
    if old is not None and old.live and (len(old.ids) - old.live) > COMPACT_SHARE * len(
            old.ids):
        old = _compacted(old)
    if old is None:
        generation = _next_generation(folder)
        doc_ids: list[str] = []
        hashes: list[str] = []
    else:
        generation = old.generation
        doc_ids = [bytes(value).decode() for value in old.ids]
        hashes = [bytes(value).decode() for value in old.hashes]
    vectors_path, ann_path = DenseIndex.files(folder, generation)
    known = {d: r for r, d in enumerate(doc_ids) if d}
    retired = [row for doc_id, row in known.items()
               if current.get(doc_id, "")[:HASH_BYTES] != hashes[row]]
    for row in retired:
        doc_ids[row] = ""
    todo = [doc_id for doc_id in current
            if known.get(doc_id) is None or doc_ids[known[doc_id]] == ""]
    first_new = len(doc_ids)
    tick = progress("dense: embedding document heads", len(todo)) if progress and todo else None
    with open(vectors_path, "ab") as out:
        out.truncate(first_new * ROW_BYTES)  # drop rows of an update that died before its meta
        for start in range(0, len(todo), UPDATE_BATCH):
            chunk = todo[start:start + UPDATE_BATCH]
            heads = dict(load_heads(chunk))
            texts = [heads.get(doc_id, "") for doc_id in chunk]
            out.write(np.asarray(embed(texts), dtype=np.float16).tobytes())
            out.flush()
            doc_ids += chunk
            hashes += [current[doc_id][:HASH_BYTES] for doc_id in chunk]
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

    index = Index(ndim=DIM, metric=GRAPH_METRIC, dtype=GRAPH_DTYPE, connectivity=CONNECTIVITY,
                  expansion_add=EXPANSION_ADD, expansion_search=EXPANSION_SEARCH)
    meta = Index.metadata(str(path)) if path.exists() else None
    # A graph of another element type (format 2 stored float16) is rebuilt, not extended.
    if meta and str(meta["kind_scalar"]).rsplit(".", 1)[-1].lower() == GRAPH_DTYPE:
        index.load(str(path))
        stale = [row for row in retired if index.contains(row)]
        if stale:
            index.remove(np.asarray(stale, dtype=np.uint64))
        new = live_rows[live_rows >= first_new]
    else:
        new = live_rows
    tick = progress("dense: approximate-search graph", len(new)) if progress and len(new) else None
    threads = usable_cores()
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
    live = np.flatnonzero(old.ids != b"")
    with open(vectors_path, "wb") as out:
        for start in range(0, len(live), UPDATE_BATCH):
            out.write(np.asarray(old.vectors[live[start:start + UPDATE_BATCH]],
                                 dtype=np.float16).tobytes())
    # No graph yet for this generation: `update` builds it from every live row.
    return DenseIndex(old.folder, np.asarray(old.ids[live]), np.asarray(old.hashes[live]),
                      old.version, generation, old.model,
                      np.memmap(vectors_path, dtype=np.float16, mode="r",
                                shape=(len(live), DIM)))


def _next_generation(folder: Path) -> int:
    found = [int(p.stem.split("-")[1]) for p in folder.glob("dense-*.f16")
             if p.stem.split("-")[1].isdigit()]
    return max(found, default=-1) + 1


def _remove_other_generations(folder: Path, keep: int) -> None:
    # A server still mapping an old generation keeps its pages (POSIX unlink semantics).
    for path in folder.glob("dense-*"):
        if path.name.split(".")[0] != f"dense-{keep}":
            path.unlink(missing_ok=True)
    for legacy in ("dense.npy",):  # format 1 (issue 6): one .npy, rebuilt from the cache
        (folder / legacy).unlink(missing_ok=True)


def head_texts(documents: Iterable) -> Iterable[tuple[str, str]]:
    return ((doc.id, head_text(doc)) for doc in documents)
