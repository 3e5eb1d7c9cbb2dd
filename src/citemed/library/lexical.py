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

BM25 is computed at query time over the few query terms, from term frequencies, document
lengths and the live document frequencies and average length of the whole index: the weights a
from-scratch build gives, so adding a segment or tombstoning rows never reweights old postings.
Postings and ids stay memory-mapped; only a few bytes per document (live flag, BM25 length
norm, kind, year) are held in memory.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from citemed.model import Kind
from citemed.sqlite_wal import connect_immutable

# Bumped whenever what is indexed changes, so indexes written by an older CiteMed are rebuilt.
INDEX_FORMAT = 3
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

    @classmethod
    def open(cls, folder: Path, name: str, tag: str) -> Segment:
        where = folder / name
        arrays = {key: _mapped(where / f"{key}.npy") for key in SEGMENT_ARRAYS}
        return cls(name, tag, live=np.load(where / f"live-{tag}.npy"),
                   df=_mapped(where / f"df-{tag}.npy"), **arrays)

    def __len__(self) -> int:
        return len(self.ids)

    def column(self, term_id: int) -> int | None:
        """Position of `term_id` in `cols`, or None when no document here holds it."""
        pos = int(np.searchsorted(self.cols, term_id))
        return pos if pos < len(self.cols) and self.cols[pos] == term_id else None

    def postings(self, pos: int) -> tuple[np.ndarray, np.ndarray]:
        start, end = int(self.ptr[pos]), int(self.ptr[pos + 1])
        return self.rows[start:end], self.tfs[start:end]

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


def _mapped(path: Path) -> np.ndarray:
    """The array in `path`, memory-mapped read-only, as a plain ndarray (a np.memmap's slices
    cost a Python-level finalizer each: a tenth of a search's time over the demo library)."""
    return np.asarray(np.load(path, mmap_mode="r"))


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
        lengths = np.concatenate([s.lengths for s in segments]) if segments \
            else np.zeros(0, dtype=np.float32)
        avgdl = float(lengths[self.live].mean()) if self.live_count else 1.0
        # k1 * (1 - b + b * length / avgdl) per row, float32 as the whole-matrix build had it.
        norm = lengths * np.float32(self.b)
        norm /= max(avgdl, 1e-9)
        norm += 1.0 - self.b
        norm *= self.k1
        self._norm = norm
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
        """The index in `folder` as its manifest names it; None when there is none (or an
        older format) to build. A writer may replace files meanwhile: one retry then sees its
        new manifest. `read_only`: the folder is never written (terms.sqlite opened immutable)."""
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
            return None
        segments = [Segment.open(folder, s["name"], s["tag"]) for s in manifest["segments"]]
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
            # idf * (k1 + 1) * query weight, once per term; then per posting
            # tf * that / (tf + k1 * (1 - b + b * length / avgdl)), in place.
            idf = math.log(1.0 + (self.live_count - df + 0.5) / (df + 0.5))
            scale = np.float32(idf * (self.k1 + 1.0) * weight)
            for number, pos in hits:
                rows, tfs = self.segments[number].postings(pos)
                at = rows.astype(np.intp)  # once: numpy converts int32 indexes on every use
                if self.bases[number]:
                    at += self.bases[number]
                denominator = self._norm[at]
                denominator += tfs
                contribution = tfs * scale
                contribution /= denominator
                np.add.at(out, at, contribution)  # 3x faster than out[at] += (numpy 2)
        if self.live_count < len(self.live):
            out[~self.live] = 0.0
        return out

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
                local = wanted[inside] - base
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

    def rows_of(self, doc_ids: Sequence[str]) -> np.ndarray:
        """Global live row of each id, -1 when the index does not hold it (or it is deleted)."""
        keys = np.asarray([doc_id.encode() for doc_id in doc_ids], dtype=bytes)
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
