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
- `upgrade` brings an index of the previous format (no BM25 weights) to this one in place.

Every commit writes BM25 weights for the segments that have none and reweighs those whose
average length has drifted (WEIGHT_DRIFT) from the index's live average: a build weighs all its
segments once, at the final average.

Every change ends by writing a new manifest (atomic rename); files it no longer names are
removed after, which a reader that has them memory-mapped does not notice. Documents are
counted by citemed.library.lexical_counts and segment folders written by
citemed.library.lexical_segments.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np

from citemed.library.abbreviations import long_form_terms
from citemed.library.lexical import INDEX_FORMAT, WEIGHT_DRIFT, LexicalIndex, Segment
from citemed.library.lexical_counts import Counts
from citemed.library.lexical_segments import (
    HASH_BYTES,
    df_after,
    live_avgdl,
    write_merged,
    write_segment,
    write_weights,
)
from citemed.model import Document
from citemed.sqlite_wal import use_wal

SEGMENT_ROWS = 250_000  # documents per segment of a full build: bounds the build's memory
MAX_SEGMENTS = 8  # more after an update: the small ones are merged into one (merge_plan)
MAX_DEAD_SHARE = 0.25  # a segment with more tombstoned rows than this is compacted
LOAD_BATCH = 1000

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


def upgrade(folder: Path) -> LexicalIndex:
    """The index in `folder`, of format UPGRADABLE_FORMAT (term frequencies, no weights),
    given its BM25 weights and this format's manifest: one pass over the postings, nothing
    re-tokenized."""
    manifest = json.loads((folder / "manifest.json").read_text())
    segments = [Segment.open(folder, entry) for entry in manifest["segments"]]
    writer = _Writer(folder, {**manifest, "format": INDEX_FORMAT}, segments)
    writer.commit(manifest["version"])
    writer.close()
    loaded = LexicalIndex.load(folder)
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
        counts = Counts(self.terms.id)
        for doc in docs:
            counts.add(doc)
            if segment_rows and len(counts.doc_ids) >= segment_rows:
                self._write(counts)
                counts = Counts(self.terms.id)
        if counts.doc_ids:
            self._write(counts)

    def _write(self, counts: Counts) -> None:
        name = self._new_name()
        write_segment(self.folder / name, counts)
        self.conn.executemany("INSERT INTO pairs VALUES (?,?,?,?)", counts.pairs)
        self.touched_shorts.update(short for _doc, short, _long, _first in counts.pairs)
        self.segments.append(Segment.open(self.folder, {"name": name, "tag": "0"}))

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
        np.save(where / f"df-{tag}.npy", df_after(segment, segment.live & ~live))
        self._retired += [where / f"live-{segment.tag}.npy", where / f"df-{segment.tag}.npy"]
        return Segment.open(self.folder, {**segment.entry(), "tag": tag})

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
        merged = write_merged(self.folder / name, chosen)
        self._retired += [self.folder / s.name for s in chosen]
        self.segments = [s for s in self.segments if s.name not in names]
        if merged:
            self.segments.append(Segment.open(self.folder, {"name": name, "tag": "0"}))

    def commit(self, version: str) -> None:
        """Abbreviations for the short forms touched, weights, then the new manifest, then
        cleanup."""
        self._refresh_abbreviations()
        self.terms.flush()
        self.conn.execute("COMMIT")
        self._weigh()
        self.manifest.update(
            version=version, generation=self.generation, n_terms=self.terms.next_id,
            segments=[s.entry() for s in self.segments])
        tmp = self.folder / "manifest.tmp.json"
        tmp.write_text(json.dumps(self.manifest, indent=1))
        os.replace(tmp, self.folder / "manifest.json")
        for path in self._retired:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)

    def _weigh(self) -> None:
        """BM25 weights for the segments without any and for those whose weights' average
        length is more than WEIGHT_DRIFT from the live average now (a new weights file each)."""
        avgdl = live_avgdl(self.segments)
        tag = str(self.generation)
        for number, segment in enumerate(self.segments):
            if segment.weights is not None and abs(segment.avgdl / avgdl - 1) <= WEIGHT_DRIFT:
                continue
            where = self.folder / segment.name
            write_weights(where / f"weights-{tag}.npy", segment, avgdl, self.manifest["k1"],
                          self.manifest["b"])
            if segment.weights_tag is not None:
                self._retired.append(where / f"weights-{segment.weights_tag}.npy")
            self.segments[number] = Segment.open(
                self.folder, {**segment.entry(), "weights": tag, "avgdl": avgdl})

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
