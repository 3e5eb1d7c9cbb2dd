"""Writing the lexical index (layout in citemed.library.lexical): build, update, merge.

- `build` indexes every document from scratch into a fresh folder, one segment per
  SEGMENT_ROWS documents (so the build holds one segment's counts, not the library's), and
  swaps it in whole.
- `update` costs time in the number of new, changed and deleted documents: it tombstones the
  rows of deleted and changed documents (a new live/df pair for each touched segment), indexes
  new and changed documents into one new segment, and merges when segments pile up or one is
  mostly dead. Comparing the store's (id, hash) pairs with the index reads no documents.
- `merge` rewrites some segments' live rows as one segment (no tokenizing: postings are copied
  in chunks into memory-mapped files).

Every change ends by writing a new manifest (atomic rename); files it no longer names are
removed after, which a reader that has them memory-mapped does not notice.

Longer than ~400 lines on purpose: build, update and merge share one segment writer and one
piece of abbreviation bookkeeping; split apart they would reach into each other's internals.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from array import array
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np
from scipy import sparse

from citemed.errors import LibraryError
from citemed.library.abbreviations import find_pairs, long_form_terms, short_keys
from citemed.library.lexical import INDEX_FORMAT, KIND_NAMES, LexicalIndex, Segment
from citemed.model import Document
from citemed.sqlite_wal import use_wal
from citemed.text import map_tokens, token_stems

TITLE_WEIGHT = 2  # title tokens count twice: titles state what an abstract is about
# Index terms (MeSH headings, a consumer page's focus and its synonyms) count like the title:
# curated words for what the document is about. On PubMedQA train_dev this lifted Recall@1 from
# 0.964 to 0.980 (docs/notes/issue-6.md).
TERMS_WEIGHT = 2
SEGMENT_ROWS = 250_000  # documents per segment of a full build: bounds the build's memory
MAX_SEGMENTS = 8  # more after an update: the small ones are merged into one (merge_plan)
MAX_DEAD_SHARE = 0.25  # a segment with more tombstoned rows than this is compacted
HASH_BYTES = 16  # content-hash prefix kept per row: enough to tell a changed record
LOAD_BATCH = 1000
DF_CHUNK = 1 << 24  # postings per pass when tombstones recount document frequencies

_TERMS_SCHEMA = """
CREATE TABLE IF NOT EXISTS terms (term TEXT PRIMARY KEY, id INTEGER NOT NULL) WITHOUT ROWID;
-- Every "long form (SHORT)" pair by document, so deleting a document retracts its pairs;
-- first = doc id and position, the first occurrence in id order (ties go to it, as they did
-- when the pairs were counted over all documents in id order).
CREATE TABLE IF NOT EXISTS pairs (doc_id TEXT NOT NULL, short TEXT NOT NULL,
                                  long_form TEXT NOT NULL, first TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS pairs_doc ON pairs(doc_id);
CREATE INDEX IF NOT EXISTS pairs_short ON pairs(short);
CREATE TABLE IF NOT EXISTS abbreviations (short TEXT PRIMARY KEY, terms TEXT NOT NULL);
"""


# ---------------------------------------------------------------------------- entry points

def build(folder: Path, docs: Iterable[Document], *, version: str, k1: float = 1.2,
          b: float = 0.75, segment_rows: int = SEGMENT_ROWS) -> LexicalIndex:
    """Index `docs` (in id order) from scratch into `folder`, replacing what is there."""
    fresh = folder.with_name(folder.name + ".new")
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir(parents=True)
    writer = _Writer(fresh, {"format": INDEX_FORMAT, "version": version, "k1": k1, "b": b,
                             "n_terms": 0, "generation": 0, "next_segment": 0, "segments": []},
                     [])
    writer.add_documents(docs, segment_rows)
    writer.commit(version)
    writer.close()
    old = folder.with_name(folder.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        folder.rename(old)
    fresh.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
    loaded = LexicalIndex.load(folder)
    assert loaded is not None
    return loaded


def update(index: LexicalIndex, id_hashes: Iterable[tuple[str, str]],
           load: Callable[[list[str]], Iterable[Document]], *, version: str) -> LexicalIndex:
    """Bring `index` to the documents `id_hashes` lists (id order), loading only new and
    changed ones through `load`."""
    todo, stale = _difference(index, id_hashes)
    writer = _Writer(index.folder, dict(index.manifest), index.segments)
    writer.tombstone(stale)
    # New ids too: a writer that died before its manifest may have stored their pairs.
    writer.forget_pairs(np.concatenate([stale, np.asarray([t.encode() for t in todo],
                                                          dtype=bytes)]))
    writer.add_documents(_loaded(todo, load), None)
    writer.merge(writer.merge_plan())
    writer.commit(version)
    writer.close()
    loaded = LexicalIndex.load(index.folder)
    assert loaded is not None
    return loaded


def merge(index: LexicalIndex) -> LexicalIndex:
    """Merge every segment into one (on demand: a merged index searches fastest)."""
    writer = _Writer(index.folder, dict(index.manifest), index.segments)
    writer.merge(list(index.segments))
    writer.commit(index.version)
    writer.close()
    loaded = LexicalIndex.load(index.folder)
    assert loaded is not None
    return loaded


def _difference(index: LexicalIndex, id_hashes: Iterable[tuple[str, str]]
                ) -> tuple[list[str], np.ndarray]:
    """(ids to index: new or changed, in id order; ids to tombstone: deleted or changed)."""
    ids, hashes = [], []
    for doc_id, doc_hash in id_hashes:
        ids.append(doc_id.encode())
        hashes.append(doc_hash[:HASH_BYTES].encode())
    store_ids, store_hashes = np.asarray(ids, dtype=bytes), np.asarray(hashes, dtype=bytes)
    del ids, hashes
    live = [(s.ids[s.live], s.hashes[s.live]) for s in index.segments]
    index_ids = np.concatenate([i for i, _ in live]) if live else np.zeros(0, dtype=bytes)
    index_hashes = np.concatenate([h for _, h in live]) if live else np.zeros(0, dtype=bytes)
    keep_store = _same(store_ids, store_hashes, index_ids, index_hashes)
    keep_index = _same(index_ids, index_hashes, store_ids, store_hashes)
    return [key.decode() for key in np.sort(store_ids[~keep_store])], index_ids[~keep_index]


def _same(ids: np.ndarray, hashes: np.ndarray, other_ids: np.ndarray,
          other_hashes: np.ndarray) -> np.ndarray:
    """Whether each (id, hash) is also among the other pairs."""
    if not len(other_ids):
        return np.zeros(len(ids), dtype=bool)
    order = np.argsort(other_ids)
    at = np.minimum(np.searchsorted(other_ids, ids, sorter=order), len(other_ids) - 1)
    match = order[at]
    return (other_ids[match] == ids) & (other_hashes[match] == hashes)


def _loaded(ids: list[str], load: Callable[[list[str]], Iterable[Document]]
            ) -> Iterator[Document]:
    for start in range(0, len(ids), LOAD_BATCH):
        yield from load(ids[start:start + LOAD_BATCH])


# ---------------------------------------------------------------------------- the writer

class _Writer:
    """One change to an index folder: new segments, tombstones, merges, then `commit`."""

    def __init__(self, folder: Path, manifest: dict, segments: list[Segment]) -> None:
        self.folder = folder
        self.manifest = manifest
        self.generation = manifest["generation"] + 1
        self.segments = list(segments)
        self.conn = sqlite3.connect(folder / "terms.sqlite", isolation_level=None)
        use_wal(self.conn)  # servers read terms while an update writes
        self.conn.executescript(_TERMS_SCHEMA)
        self.conn.execute("BEGIN")
        self.terms = _TermIds(self.conn, manifest["n_terms"])
        self.touched_shorts: set[str] = set()
        self._retired: list[Path] = []

    def close(self) -> None:
        self.conn.close()

    def _new_name(self) -> str:
        number = self.manifest["next_segment"]
        self.manifest["next_segment"] = number + 1
        return f"seg-{number:06d}"

    def add_documents(self, docs: Iterable[Document], segment_rows: int | None) -> None:
        counts = _Counts(self.terms.id)
        for doc in docs:
            counts.add(doc)
            if segment_rows and len(counts.doc_ids) >= segment_rows:
                self._write(counts)
                counts = _Counts(self.terms.id)
        if counts.doc_ids:
            self._write(counts)

    def _write(self, counts: _Counts) -> None:
        name = self._new_name()
        write_segment(self.folder / name, counts)
        self.conn.executemany("INSERT INTO pairs VALUES (?,?,?,?)", counts.pairs)
        self.touched_shorts.update(short for _doc, short, _long, _first in counts.pairs)
        self.segments.append(Segment.open(self.folder, name, "0"))

    def tombstone(self, stale: np.ndarray) -> None:
        """Mark the live rows of the `stale` ids dead, with fresh live/df files per segment."""
        if not len(stale):
            return
        for number, segment in enumerate(self.segments):
            local = segment.locate(stale)
            local = local[local >= 0]
            if len(local):
                live = segment.live.copy()
                live[local] = False
                self.segments[number] = self._retag(segment, live)

    def _retag(self, segment: Segment, live: np.ndarray) -> Segment:
        where = self.folder / segment.name
        tag = str(self.generation)
        np.save(where / f"live-{tag}.npy", live)
        np.save(where / f"df-{tag}.npy", _df_after(segment, segment.live & ~live))
        self._retired += [where / f"live-{segment.tag}.npy", where / f"df-{segment.tag}.npy"]
        return Segment.open(self.folder, segment.name, tag)

    def forget_pairs(self, doc_ids: np.ndarray) -> None:
        for start in range(0, len(doc_ids), 500):
            chunk = [key.decode() for key in doc_ids[start:start + 500]]
            marks = ",".join("?" * len(chunk))
            self.touched_shorts.update(r[0] for r in self.conn.execute(
                f"SELECT DISTINCT short FROM pairs WHERE doc_id IN ({marks})", chunk))
            self.conn.execute(f"DELETE FROM pairs WHERE doc_id IN ({marks})", chunk)

    def merge_plan(self) -> list[Segment]:
        """Segments to merge after an update: mostly-dead ones and, when there are more than
        MAX_SEGMENTS, the small ones (below a quarter of SEGMENT_ROWS: update segments), or
        all but the largest when fewer than two are small."""
        plan = [s for s in self.segments if (~s.live).sum() > MAX_DEAD_SHARE * len(s)]
        if len(self.segments) > MAX_SEGMENTS:
            small = [s for s in self.segments if len(s) < SEGMENT_ROWS // 4]
            if len(small) < 2:
                largest = max(self.segments, key=len)
                small = [s for s in self.segments if s is not largest]
            plan += [s for s in small if s not in plan]
        return plan

    def merge(self, chosen: list[Segment]) -> None:
        if not chosen or (len(chosen) == 1 and chosen[0].live.all()):
            return
        names = {s.name for s in chosen}
        name = self._new_name()
        merged = _write_merged(self.folder / name, chosen)
        self._retired += [self.folder / s.name for s in chosen]
        self.segments = [s for s in self.segments if s.name not in names]
        if merged:
            self.segments.append(Segment.open(self.folder, name, "0"))

    def commit(self, version: str) -> None:
        """Abbreviations for the short forms touched, then the new manifest, then cleanup."""
        self._refresh_abbreviations()
        self.terms.flush()
        self.conn.execute("COMMIT")
        self.manifest.update(
            version=version, generation=self.generation, n_terms=self.terms.next_id,
            segments=[{"name": s.name, "tag": s.tag, "rows": len(s),
                       "live": int(s.live.sum())} for s in self.segments])
        tmp = self.folder / "manifest.tmp.json"
        tmp.write_text(json.dumps(self.manifest, indent=1))
        os.replace(tmp, self.folder / "manifest.json")
        for path in self._retired:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)

    def _refresh_abbreviations(self) -> None:
        """The most frequent long form of each touched short form (ties: first in id order)."""
        shorts = sorted(self.touched_shorts)
        for start in range(0, len(shorts), 500):
            chunk = shorts[start:start + 500]
            marks = ",".join("?" * len(chunk))
            best: dict[str, tuple[int, str, str]] = {}
            for short, long_form, count, first in self.conn.execute(
                    f"SELECT short, long_form, COUNT(*), MIN(first) FROM pairs "
                    f"WHERE short IN ({marks}) GROUP BY short, long_form", chunk):
                held = best.get(short)
                if held is None or (-count, first) < (-held[0], held[1]):
                    best[short] = (count, first, long_form)
            self.conn.execute(f"DELETE FROM abbreviations WHERE short IN ({marks})", chunk)
            rows = []
            for short, (_count, _first, long_form) in best.items():
                terms = long_form_terms(short, long_form)
                if terms:
                    rows.append((short, json.dumps(terms)))
            self.conn.executemany("INSERT INTO abbreviations VALUES (?,?)", rows)


class _TermIds:
    """Global term ids: looked up in terms.sqlite once per distinct term, new ones appended."""

    def __init__(self, conn: sqlite3.Connection, n_terms: int) -> None:
        self.conn = conn
        # Ids a crashed writer inserted but no manifest names are reused by id, not re-issued.
        found = conn.execute("SELECT MAX(id) FROM terms").fetchone()[0]
        self.next_id = max(n_terms, (found + 1) if found is not None else 0)
        self._known: dict[str, int] = {}
        self._new: list[tuple[str, int]] = []

    def id(self, term: str) -> int:
        found = self._known.get(term)
        if found is None:
            row = self.conn.execute("SELECT id FROM terms WHERE term=?", (term,)).fetchone()
            if row:
                found = row[0]
            else:
                found = self.next_id
                self.next_id += 1
                self._new.append((term, found))
            self._known[term] = found
        return found

    def flush(self) -> None:
        self.conn.executemany("INSERT INTO terms VALUES (?,?)", self._new)
        self._new = []


# ---------------------------------------------------------------------------- segments

def write_segment(where: Path, counts: _Counts) -> None:
    """The counts of some documents as a segment folder (arrays in SEGMENT_ARRAYS)."""
    doc_ptr, doc_cols, tfs = counts.documents_csr()
    width = int(doc_cols.max(initial=-1)) + 1
    # scipy's transpose: rows sorted within each column, no sort and no temporaries beyond
    # the output (an argsort here took a third more peak memory at 100k documents).
    by_term = sparse.csr_matrix((tfs, doc_cols, doc_ptr),
                                shape=(len(counts.doc_ids), width)).tocsc()
    del doc_cols, tfs
    cols = np.flatnonzero(np.diff(by_term.indptr))  # only the terms these documents hold
    ptr = np.append(by_term.indptr[cols], by_term.indptr[-1]).astype(np.int64)
    sentence_ptr, sentence_cols = counts.sentences_csr()
    ids = np.asarray([doc_id.encode() for doc_id in counts.doc_ids], dtype=bytes)
    _save_arrays(where, {
        "ids": ids, "order": np.argsort(ids, kind="stable").astype(np.int64),
        "hashes": np.asarray([h[:HASH_BYTES].encode() for h in counts.hashes], dtype=bytes),
        "lengths": np.asarray(counts.lengths, dtype=np.float32),
        "kinds": np.asarray(counts.kinds, dtype=np.int8),
        "years": np.asarray(counts.years, dtype=np.int16),
        "cols": cols.astype(np.int32), "ptr": ptr, "rows": by_term.indices.astype(np.int32),
        "tfs": _compact_tfs(by_term.data), "sentence_ptr": sentence_ptr,
        "sentence_cols": sentence_cols.astype(np.int32),
        "sentence_start": np.asarray(counts.sentence_start, dtype=np.int64),
    })


def _compact_tfs(tfs: np.ndarray) -> np.ndarray:
    """Term frequencies as uint16 (a quarter of the postings' bytes saved) unless one is too
    large for it; BM25 reads either."""
    return tfs.astype(np.uint16) if tfs.max(initial=0) <= np.iinfo(np.uint16).max else tfs


def _save_arrays(where: Path, arrays: dict[str, np.ndarray]) -> None:
    """A segment folder written beside its place and renamed in: never seen half-written."""
    _finish(_fresh(where), where, arrays)


def _fresh(where: Path) -> Path:
    tmp = where.with_name(where.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    return tmp


def _finish(tmp: Path, where: Path, arrays: dict[str, np.ndarray]) -> None:
    """Save `arrays` beside those already in `tmp`, the first live/df pair, and rename in."""
    for key, values in arrays.items():
        np.save(tmp / f"{key}.npy", values)
    np.save(tmp / "live-0.npy", np.ones(len(arrays["ids"]), dtype=bool))
    np.save(tmp / "df-0.npy", np.diff(arrays["ptr"]).astype(np.int32))
    shutil.rmtree(where, ignore_errors=True)  # left by a writer that died before its manifest
    tmp.rename(where)


def _df_after(segment: Segment, dying: np.ndarray) -> np.ndarray:
    """The segment's live document frequencies once the `dying` rows (bool per row, all live
    until now) are dead: the old counts minus the dying rows' postings per column, found in
    chunks, so neither time nor memory grows with more than the segment's postings once."""
    df = np.array(segment.df, dtype=np.int32)
    for start in range(0, len(segment.rows), DF_CHUNK):
        positions = np.flatnonzero(dying[segment.rows[start:start + DF_CHUNK]]) + start
        columns = np.searchsorted(segment.ptr, positions, side="right") - 1
        df -= np.bincount(columns, minlength=len(df)).astype(np.int32)
    return df


def _write_merged(where: Path, chosen: list[Segment]) -> bool:
    """The live rows of `chosen`, in their order, as one segment folder (False: no live rows).

    Postings and sentence terms are copied straight into memory-mapped output files in
    chunks, with no sort: a column's postings are its postings in each segment in turn (rows
    keep increasing), placed from per-column counts (the live df). Memory stays at a chunk
    plus a few arrays per row and per term, whatever the size of the segments.
    """
    total_rows = sum(int(s.live.sum()) for s in chosen)
    if not total_rows:
        return False
    tmp = _fresh(where)
    small = {key: np.concatenate([np.asarray(getattr(s, key))[s.live] for s in chosen])
             for key in ("ids", "hashes", "lengths", "kinds", "years")}
    small["order"] = np.argsort(small["ids"], kind="stable").astype(np.int64)
    cols = np.unique(np.concatenate([s.cols for s in chosen]))
    positions = [np.searchsorted(cols, s.cols) for s in chosen]
    per_col = np.zeros(len(cols), dtype=np.int64)
    for segment, at in zip(chosen, positions, strict=True):
        np.add.at(per_col, at, np.asarray(segment.df, dtype=np.int64))
    ptr = np.zeros(len(cols) + 1, dtype=np.int64)
    np.cumsum(per_col, out=ptr[1:])
    rows_out = np.lib.format.open_memmap(tmp / "rows.npy", "w+", np.int32, (int(ptr[-1]),))
    tfs_out = np.lib.format.open_memmap(tmp / "tfs.npy", "w+",
                                        np.result_type(*(s.tfs.dtype for s in chosen)),
                                        (int(ptr[-1]),))
    filled = ptr[:-1].copy()  # next free slot of each merged column
    offset = 0
    sentence_counts, starts = [], []
    for segment, at in zip(chosen, positions, strict=True):
        new_row = np.cumsum(segment.live) - 1 + offset
        df = np.asarray(segment.df, dtype=np.int64)
        kept_before_col = np.concatenate([[0], np.cumsum(df)])
        kept = 0
        for first in range(0, len(segment.rows), DF_CHUNK):
            rows = segment.rows[first:first + DF_CHUNK]
            keep = np.flatnonzero(segment.live[rows])
            column = np.searchsorted(segment.ptr, keep + first, side="right") - 1
            rank = np.arange(kept, kept + len(keep)) - kept_before_col[column]
            slots = filled[at[column]] + rank
            rows_out[slots] = new_row[rows[keep]]
            tfs_out[slots] = segment.tfs[first:first + DF_CHUNK][keep]
            kept += len(keep)
        filled[at] += df
        sizes = np.diff(segment.sentence_start)
        starts.append(sizes[segment.live])
        sentence_counts.append(np.diff(segment.sentence_ptr)[
            np.repeat(segment.live, sizes)])
        offset += int(segment.live.sum())
    rows_out.flush()
    tfs_out.flush()
    del rows_out, tfs_out
    counts = np.concatenate(sentence_counts)
    sentence_ptr = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=sentence_ptr[1:])
    sentence_cols = np.lib.format.open_memmap(tmp / "sentence_cols.npy", "w+", np.int32,
                                              (int(sentence_ptr[-1]),))
    filled_to = 0
    for segment in chosen:  # each run of live rows is one slice of sentence terms
        live = segment.live.astype(np.int8)
        edges = np.flatnonzero(np.diff(np.concatenate([[0], live, [0]])))
        for run_start, run_end in zip(edges[::2], edges[1::2], strict=True):
            lo = int(segment.sentence_ptr[segment.sentence_start[run_start]])
            hi = int(segment.sentence_ptr[segment.sentence_start[run_end]])
            sentence_cols[filled_to:filled_to + hi - lo] = segment.sentence_cols[lo:hi]
            filled_to += hi - lo
    sentence_cols.flush()
    del sentence_cols
    sentence_start = np.zeros(total_rows + 1, dtype=np.int64)
    np.cumsum(np.concatenate(starts), out=sentence_start[1:])
    _finish(tmp, where, {**small, "cols": cols.astype(np.int32), "ptr": ptr,
                         "sentence_ptr": sentence_ptr, "sentence_start": sentence_start})
    return True


# ---------------------------------------------------------------------------- counting

class _Counts:
    """Term counts of documents and sentences, gathered as compact int32 arrays.

    Token ids go into `array` buffers (4 bytes each, not a Python int object per token) and are
    reduced with numpy every CHUNK documents: a (row << 32 | column) key sorted by np.unique
    gives each document's term frequencies and each sentence's sorted distinct terms, with no
    per-token Python work beyond looking the token up in the vocabulary.
    """

    CHUNK = 4096
    SENTENCE_MEMO = 50_000

    def __init__(self, term_id: Callable[[str], int]) -> None:
        self._term_id = term_id
        self._token_ids: dict[str, tuple[int, ...]] = {}  # raw token -> its terms' ids
        # A quarter of the demo library's sentences repeat (consumer-page boilerplate, shared
        # abstracts): each distinct one is tokenized once, within a bounded memo.
        self._sentence_ids: dict[str, array] = {}
        self.doc_ids: list[str] = []
        self.hashes: list[str] = []
        self.kinds: list[int] = []
        self.years: list[int] = []
        # (doc id, short form key, long form, first occurrence) of each abbreviation defined.
        self.pairs: list[tuple[str, str, str, str]] = []
        self.lengths = array("i")
        self.sentence_start = array("q", [0])
        self._tokens = array("i")  # term ids of the open chunk's documents, title/terms repeated
        self._doc_lengths = array("q")
        self._sentence_tokens = array("i")
        self._sentence_lengths = array("q")
        self._doc_parts: list[tuple[np.ndarray, ...]] = []
        self._sentence_parts: list[tuple[np.ndarray, ...]] = []

    def _ids(self, text: str) -> list[int]:
        """Term ids of tokenize(text), each distinct raw token stemmed and looked up once."""
        term_id = self._term_id
        return map_tokens(text, self._token_ids, lambda token: tuple(
            term_id(stem) for stem in token_stems(token)))

    def add(self, doc: Document) -> None:
        try:
            kind = KIND_NAMES.index(str(doc.kind))
        except ValueError:
            raise LibraryError(f"document {doc.id}: unknown kind {doc.kind!r}") from None
        start = len(self._tokens)
        n_sentences = 0
        seen = self._sentence_ids
        for _sid, _section, sentence in doc.iter_sentences():
            ids = seen.get(sentence.text)
            if ids is None:
                if len(seen) >= self.SENTENCE_MEMO:
                    seen.clear()
                ids = seen[sentence.text] = array("i", self._ids(sentence.text))
            self._sentence_tokens.extend(ids)
            self._sentence_lengths.append(len(ids))
            self._tokens.extend(ids)
            n_sentences += 1
        self.sentence_start.append(self.sentence_start[-1] + n_sentences)
        self._tokens.extend(self._ids(doc.title) * TITLE_WEIGHT)
        self._tokens.extend(self._ids(" ; ".join(doc.terms)) * TERMS_WEIGHT)
        length = len(self._tokens) - start
        self._doc_lengths.append(length)
        self.lengths.append(length)
        self.doc_ids.append(doc.id)
        self.hashes.append(doc.content_hash())
        self.kinds.append(kind)
        self.years.append(doc.year or 0)
        self._add_pairs(doc)
        if len(self._doc_lengths) >= self.CHUNK:
            self._flush()

    def _add_pairs(self, doc: Document) -> None:
        position = 0
        for section in doc.sections:
            if "(" not in section.text:
                continue
            for short, long_form in find_pairs(section.text):
                for key in short_keys(short):
                    # \x01 sorts below every id character: (id, position) order as text.
                    self.pairs.append((doc.id, key, long_form, f"{doc.id}\x01{position:09d}"))
                    position += 1

    def _flush(self) -> None:
        if not len(self._doc_lengths):
            return
        doc_counts, doc_cols, tfs = _distinct_pairs(self._doc_lengths, self._tokens)
        self._doc_parts.append((doc_counts, doc_cols, tfs))
        sentence_counts, sentence_cols, _ = _distinct_pairs(
            self._sentence_lengths, self._sentence_tokens)
        self._sentence_parts.append((sentence_counts, sentence_cols))
        self._tokens, self._doc_lengths = array("i"), array("q")
        self._sentence_tokens, self._sentence_lengths = array("i"), array("q")

    def documents_csr(self) -> tuple[np.ndarray, ...]:
        """Row pointers, term ids and term frequencies of the documents x terms counts."""
        self._flush()
        return _joined(self._doc_parts)

    def sentences_csr(self) -> tuple[np.ndarray, ...]:
        """Row pointers and sorted distinct term ids of the sentences x terms matrix."""
        return _joined(self._sentence_parts)


def _joined(parts: list[tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
    """Per-chunk (cells per row, column values...) joined into CSR-style arrays; `parts` is
    emptied, and each column's chunks are freed as soon as that column is joined."""
    columns = [list(column) for column in zip(*parts, strict=True)]
    parts.clear()
    per_row = np.concatenate(columns.pop(0))
    pointers = np.zeros(len(per_row) + 1, dtype=np.int64)
    np.cumsum(per_row, out=pointers[1:])
    joined = [pointers]
    while columns:
        joined.append(np.concatenate(columns.pop(0)))
    return tuple(joined)


def _distinct_pairs(lengths: array, ids: array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Owner k holds the next lengths[k] ids: (distinct ids per owner, the distinct ids sorted
    by owner then id, how often each occurs)."""
    owners = np.repeat(np.arange(len(lengths), dtype=np.int64),
                       np.frombuffer(lengths, dtype=np.int64))
    keys = (owners << 32) | np.frombuffer(ids, dtype=np.int32).astype(np.int64)
    distinct, counts = np.unique(keys, return_counts=True)
    per_owner = np.bincount(distinct >> 32, minlength=len(lengths))
    return per_owner, (distinct & 0xFFFFFFFF).astype(np.int32), counts.astype(np.float32)
