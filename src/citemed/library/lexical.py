"""Lexical BM25 index: immutable, memory-mapped segments of term frequencies, plus sentence terms.

Layout of `index/lexical/` (written by citemed.library.lexical_build):
    manifest.json     format, library version, BM25 parameters and the segments with their
                      current tombstone files; replaced atomically, so it is a reader's snapshot
    terms.sqlite      term -> id (append-only), abbreviation pairs per document and the winning
                      long form per short form
    seg-NNNNNN/       one segment, never rewritten: document ids and content hashes, lengths,
                      kinds, years, the terms x documents frequencies (CSC over the terms it
                      holds) and the sentences x terms presence (CSR)
    seg-NNNNNN/live-G.npy, df-G.npy
                      which rows are live and each column's live document count; a new pair
                      per change, so an open reader keeps the pair it loaded
    seg-NNNNNN/weights-G.npy
                      each posting's BM25 term weight (lexical_segments.bm25_weights), quantised to uint16 at
                      the average length the manifest records for it; a new file when the
                      writer reweighs the segment

BM25 at query time is idf x query weight x the stored weight, per posting of the few query
terms: idf from the live document frequencies of the whole index, the length norm already in
the weights. A writer reweighs a segment only when the index's live average length has moved
more than WEIGHT_DRIFT from the one its weights were computed at, so adding a segment or
tombstoning rows rarely rewrites old postings, and scores stay within WEIGHT_DRIFT (relative)
plus half a quantisation step of a from-scratch build.
Postings and ids stay memory-mapped, and a search drops the pages it mapped afterwards
(`release_pages`), so the process's resident memory stays a few bytes per document (live flag,
kind, year) plus one query's postings, not the index size.
"""

from __future__ import annotations

import json
import math
import mmap
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from citemed.errors import LibraryError
from citemed.model import Kind
from citemed.sqlite_wal import connect_immutable

# Bumped whenever what is indexed changes: an older index is upgraded (UPGRADABLE_FORMAT) or rebuilt.
INDEX_FORMAT = 4
# Format 3 had no weights files: a writer adds them in place (lexical_build.upgrade).
UPGRADABLE_FORMAT = 3
WEIGHT_LEVELS = np.iinfo(np.uint16).max  # stored weight = BM25 tf weight / weight_step(k1)
# Reweigh a segment once the live average length is this far (relative) from its weights'.
WEIGHT_DRIFT = 1e-3
KIND_NAMES: list[str] = [str(kind) for kind in Kind]  # stored kind code -> kind
# Segment files memory-mapped by a reader (written once, by lexical_segments.write_segment).
SEGMENT_ARRAYS = ("ids", "order", "hashes", "lengths", "kinds", "years", "cols", "ptr", "rows",
                  "tfs", "sentence_ptr", "sentence_cols", "sentence_start")
_CACHE_LIMIT = 100_000  # term lookups kept per index (compose asks idf for every answer word)


@dataclass(eq=False)  # identity: arrays have no truth value
class Segment:
    """One segment's arrays; rows are local (0..len-1), term ids global."""

    name: str
    tag: str  # which live/df pair is current
    ids: np.ndarray  # bytes (utf-8 document ids)
    order: np.ndarray  # argsort of ids, for binary search
    hashes: np.ndarray  # bytes: content-hash prefixes, to see changed documents
    lengths: np.ndarray  # float32 token count (title and index terms weighted)
    kinds: np.ndarray  # int8 index into KIND_NAMES
    years: np.ndarray  # int16, 0 = unknown
    cols: np.ndarray  # int32 sorted term ids present in this segment
    ptr: np.ndarray  # int64 len(cols)+1: postings of cols[i] are rows/tfs[ptr[i]:ptr[i+1]]
    rows: np.ndarray  # int32 local rows, increasing within each column
    tfs: np.ndarray  # term frequencies: uint16, or float32 if one exceeds it
    sentence_ptr: np.ndarray  # int64 sentences+1, into sentence_cols
    sentence_cols: np.ndarray  # int32 sorted distinct term ids of each sentence
    sentence_start: np.ndarray  # int64 rows+1: a row's sentences, in reading order
    live: np.ndarray  # bool per row
    df: np.ndarray  # int32 per column: live documents holding the term
    weights: np.ndarray | None  # uint16 per posting; None until a writer's commit
    weights_tag: str | None  # which weights file is current
    avgdl: float  # the average length the weights were computed at
    maps: list[mmap.mmap] = field(repr=False)  # the mapped files, for release_pages

    @classmethod
    def open(cls, folder: Path, entry: Mapping) -> Segment:
        """The segment a manifest entry names (name, tag; weights and avgdl once weighed)."""
        name, tag, weights_tag = entry["name"], entry["tag"], entry.get("weights")
        where = folder / name
        maps: list[mmap.mmap] = []
        arrays = {key: _mapped(where / f"{key}.npy", maps) for key in SEGMENT_ARRAYS}
        weights = (None if weights_tag is None
                   else _mapped(where / f"weights-{weights_tag}.npy", maps))
        return cls(name, tag, live=np.load(where / f"live-{tag}.npy"),
                   df=_mapped(where / f"df-{tag}.npy", maps), weights=weights,
                   weights_tag=weights_tag, avgdl=entry.get("avgdl", 0.0), maps=maps, **arrays)

    def entry(self) -> dict:
        """This segment as the manifest names it."""
        return {"name": self.name, "tag": self.tag, "rows": len(self),
                "live": int(self.live.sum()), "weights": self.weights_tag, "avgdl": self.avgdl}

    def __len__(self) -> int:
        return len(self.ids)

    def column(self, term_id: int) -> int | None:
        """Position of `term_id` in `cols`, or None when no document here holds it."""
        pos = int(np.searchsorted(self.cols, term_id))
        return pos if pos < len(self.cols) and self.cols[pos] == term_id else None

    def postings(self, pos: int) -> tuple[np.ndarray, np.ndarray]:
        """(local rows, stored BM25 weights) of column `pos`."""
        assert self.weights is not None  # readers only open weighed segments
        start, end = int(self.ptr[pos]), int(self.ptr[pos + 1])
        return self.rows[start:end], self.weights[start:end]

    def locate(self, keys: np.ndarray) -> np.ndarray:
        """Local live row of each id in `keys` (bytes), -1 where absent or tombstoned."""
        out = np.full(len(keys), -1, dtype=np.int64)
        if not len(self) or not len(keys):
            return out
        at = np.minimum(np.searchsorted(self.ids, keys, sorter=self.order), len(self) - 1)
        rows = np.asarray(self.order)[at]
        found = (np.asarray(self.ids)[rows] == keys) & self.live[rows]
        out[found] = rows[found]
        return out


def _mapped(path: Path, maps: list[mmap.mmap]) -> np.ndarray:
    """The array in `path`, memory-mapped read-only, as a plain ndarray (a np.memmap's slices
    cost a Python-level finalizer each: a tenth of a search's time over the demo library); its
    mapping is appended to `maps`."""
    array = np.load(path, mmap_mode="r")
    maps.append(array.base)
    return np.asarray(array)


def weight_step(k1: float) -> float:
    """What one unit of a stored weight is worth: a BM25 tf weight is below k1 + 1."""
    return (k1 + 1.0) / WEIGHT_LEVELS


class IndexFormatError(LibraryError):
    """The manifest names another index format than this CiteMed reads."""

    def __init__(self, path: Path, found: object) -> None:
        super().__init__(f"{path} is lexical index format {found}; this CiteMed reads format "
                         f"{INDEX_FORMAT}")
        self.path = path
        self.found = found


class LexicalIndex:
    """A snapshot of the lexical index: the segments one manifest names, searched together.

    Global rows number the segments' rows in manifest order; tombstoned rows keep their number
    (their scores are 0) until a merge writes a new snapshot.
    """

    def __init__(self, folder: Path, manifest: dict, segments: list[Segment], *,
                 read_only: bool = False) -> None:
        self.folder = folder
        self.manifest = manifest
        self.version: str = manifest["version"]
        self.k1: float = manifest["k1"]
        self.b: float = manifest["b"]
        self.n_terms: int = manifest["n_terms"]
        self.segments = segments
        self.bases = np.cumsum([0, *(len(s) for s in segments)]).astype(np.int64)
        self.live = np.concatenate([s.live for s in segments]) if segments \
            else np.zeros(0, dtype=bool)
        self.live_count = int(self.live.sum())
        self._dead = np.flatnonzero(~self.live)
        self._step = weight_step(self.k1)
        self.years = np.concatenate([s.years for s in segments]) if segments \
            else np.zeros(0, dtype=np.int16)
        codes = np.concatenate([s.kinds for s in segments]) if segments \
            else np.zeros(0, dtype=np.int8)
        self.kinds: Sequence[str] = _Kinds(codes)
        self.doc_ids: Sequence[str] = _DocIds(self)
        self.vocab = _Vocabulary(self)
        self.abbreviations: Mapping[str, list[str]] = _Abbreviations(self)
        self._terms = (connect_immutable(folder / "terms.sqlite")
                       if read_only else
                       sqlite3.connect(folder / "terms.sqlite", check_same_thread=False))
        self._lookups: dict[str, tuple[int, float, list[tuple[int, int]]]] = {}

    # ------------------------------------------------------------------ opening

    @classmethod
    def load(cls, folder: Path, *, read_only: bool = False) -> LexicalIndex | None:
        """The index in `folder` as its manifest names it; None when there is none to build
        (IndexFormatError when it has another format). A writer may replace files meanwhile:
        one retry then sees its new manifest. `read_only`: the folder is never written
        (terms.sqlite opened immutable)."""
        for attempt in range(2):
            try:
                return cls._load(folder, read_only)
            except FileNotFoundError:
                if attempt:
                    raise
        return None

    @classmethod
    def _load(cls, folder: Path, read_only: bool) -> LexicalIndex | None:
        path = folder / "manifest.json"
        if not path.exists():
            return None
        manifest = json.loads(path.read_text())
        if manifest.get("format") != INDEX_FORMAT:
            raise IndexFormatError(path, manifest.get("format"))
        segments = [Segment.open(folder, entry) for entry in manifest["segments"]]
        return cls(folder, manifest, segments, read_only=read_only)

    def close(self) -> None:
        self._terms.close()

    # ------------------------------------------------------------------ terms

    def _lookup(self, term: str) -> tuple[int, float, list[tuple[int, int]]]:
        """(term id or -1, live document frequency, [(segment, column position)])."""
        found = self._lookups.get(term)
        if found is None:
            row = self._terms.execute("SELECT id FROM terms WHERE term=?", (term,)).fetchone()
            term_id = row[0] if row and row[0] < self.n_terms else -1
            hits: list[tuple[int, int]] = []
            df = 0.0
            if term_id >= 0:
                for number, segment in enumerate(self.segments):
                    pos = segment.column(term_id)
                    if pos is not None:
                        hits.append((number, pos))
                        df += float(segment.df[pos])
            if len(self._lookups) >= _CACHE_LIMIT:
                self._lookups.clear()
            found = self._lookups[term] = (term_id, df, hits)
        return found

    def idf(self, term: str) -> float:
        df = self._lookup(term)[1]
        n = self.live_count
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    # ------------------------------------------------------------------ scoring

    def scores(self, weighted_terms: dict[str, float]) -> np.ndarray:
        """BM25 score of every row for a bag of (stemmed term -> query weight); 0 when dead."""
        out = np.zeros(len(self.live), dtype=np.float32)
        for term, weight in weighted_terms.items():
            _term_id, df, hits = self._lookup(term)
            if df <= 0:
                continue
            idf = math.log(1.0 + (self.live_count - df + 0.5) / (df + 0.5))
            scale = np.float32(idf * weight * self._step)
            for number, pos in hits:
                segment, base = self.segments[number], int(self.bases[number])
                rows, weights = segment.postings(pos)
                # Into the segment's slice with the stored int32 rows: no index arithmetic or
                # cast. np.add.at measured 2x faster than out[rows] += and np.bincount (1M).
                np.add.at(out[base:base + len(segment)], rows, weights * scale)
        out[self._dead] = 0.0
        self.release_pages()
        return out

    def release_pages(self) -> None:
        """Unmap the index pages this process touched (MADV_DONTNEED; they stay in the page
        cache, shared and reclaimable): resident memory then holds one query's postings, not
        every posting questions ever touched (1.7 GB at 1M documents). Measured at 1M: 0.2 ms
        a query and no slower scoring, where reading postings with os.preadv cost 4-12 ms."""
        for segment in self.segments:
            for mapped in segment.maps:
                mapped.madvise(mmap.MADV_DONTNEED)

    def presence(self, rows: list[int], terms: list[str]) -> np.ndarray:
        """Boolean (len(rows) x len(terms)): does each (live) document contain each term."""
        out = np.zeros((len(rows), len(terms)), dtype=bool)
        wanted = np.asarray(rows, dtype=np.int64)
        if not len(wanted):
            return out
        for j, term in enumerate(terms):
            for number, pos in self._lookup(term)[2]:
                segment, base = self.segments[number], self.bases[number]
                inside = (wanted >= base) & (wanted < base + len(segment))
                docs = segment.postings(pos)[0]  # increasing local rows
                # In the rows' dtype: int64 keys would make searchsorted convert every posting.
                local = (wanted[inside] - base).astype(docs.dtype)
                at = np.minimum(np.searchsorted(docs, local), len(docs) - 1)
                out[inside, j] = docs[at] == local
        return out & self.live[wanted][:, None]

    def sentence_presence(self, row: int, terms: list[str]) -> np.ndarray:
        """Boolean (sentences of document `row` x len(terms)), sentences in reading order."""
        number = int(np.searchsorted(self.bases, row, side="right")) - 1
        segment, local = self.segments[number], row - int(self.bases[number])
        first, last = int(segment.sentence_start[local]), int(segment.sentence_start[local + 1])
        out = np.zeros((last - first, len(terms)), dtype=bool)
        indptr = np.asarray(segment.sentence_ptr[first:last + 1])
        cols = np.asarray(segment.sentence_cols[indptr[0]:indptr[-1]])
        sentence_of = np.repeat(np.arange(last - first), np.diff(indptr))
        for j, term in enumerate(terms):
            term_id = self._lookup(term)[0]
            if term_id >= 0:
                out[sentence_of[cols == term_id], j] = True
        return out

    # ------------------------------------------------------------------ documents

    def rows_of(self, doc_ids: Sequence[str] | np.ndarray) -> np.ndarray:
        """Global live row of each id (str, or an array of utf-8 bytes), -1 when the index
        does not hold it (or it is deleted)."""
        keys = doc_ids if isinstance(doc_ids, np.ndarray) else np.asarray(
            [doc_id.encode() for doc_id in doc_ids], dtype=bytes)
        out = np.full(len(keys), -1, dtype=np.int64)
        for segment, base in zip(self.segments, self.bases, strict=False):
            local = segment.locate(keys)
            found = local >= 0
            out[found] = local[found] + base
        return out

    def segment_of(self, row: int) -> tuple[Segment, int]:
        number = int(np.searchsorted(self.bases, row, side="right")) - 1
        return self.segments[number], row - int(self.bases[number])


class _DocIds(Sequence[str]):
    """Row -> document id, read from the memory-mapped segments (dead rows keep their id)."""

    def __init__(self, index: LexicalIndex) -> None:
        self._index = index

    def __len__(self) -> int:
        return len(self._index.live)

    def __getitem__(self, row):  # rows only, no slices
        segment, local = self._index.segment_of(int(row))
        return bytes(segment.ids[local]).decode()

    def __iter__(self) -> Iterator[str]:
        for segment in self._index.segments:
            yield from (bytes(doc_id).decode() for doc_id in segment.ids)

    def __contains__(self, doc_id: object) -> bool:
        return isinstance(doc_id, str) and bool(self._index.rows_of([doc_id])[0] >= 0)


class _Kinds(Sequence[str]):
    def __init__(self, codes: np.ndarray) -> None:
        self._codes = codes

    def __len__(self) -> int:
        return len(self._codes)

    def __getitem__(self, row):  # rows only, no slices
        return KIND_NAMES[self._codes[row]]


class _Vocabulary:
    """Terms some live document holds (what query expansion may add)."""

    def __init__(self, index: LexicalIndex) -> None:
        self._index = index

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and self._index._lookup(term)[1] > 0

    def get(self, term: str, default: int | None = None) -> int | None:
        term_id, df, _hits = self._index._lookup(term)
        return term_id if df > 0 else default


class _Abbreviations(Mapping[str, list[str]]):
    """Short form -> stemmed long-form terms, from terms.sqlite; only long forms whose terms
    the live documents hold (as a from-scratch build of the same documents gives)."""

    def __init__(self, index: LexicalIndex) -> None:
        self._index = index

    def __getitem__(self, short: str) -> list[str]:
        row = self._index._terms.execute(
            "SELECT terms FROM abbreviations WHERE short=?", (short,)).fetchone()
        terms = json.loads(row[0]) if row else []
        if not terms or not all(term in self._index.vocab for term in terms):
            raise KeyError(short)
        return terms

    def __iter__(self) -> Iterator[str]:
        for (short,) in self._index._terms.execute("SELECT short FROM abbreviations"):
            if short in self:
                yield short

    def __len__(self) -> int:
        return sum(1 for _ in self)
