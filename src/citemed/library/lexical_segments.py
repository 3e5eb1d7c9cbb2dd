"""Segment folders of the lexical index: writing one from counts, merging several into one,
and the document frequencies left after tombstones. Layout in citemed.library.lexical.

A segment folder is written beside its place and renamed in, so a reader never sees one
half-written.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy import sparse

from citemed.library.lexical import WEIGHT_LEVELS, Segment
from citemed.library.lexical_counts import Counts

HASH_BYTES = 16  # content-hash prefix kept per row: enough to tell a changed record
DF_CHUNK = 1 << 24  # postings per pass when tombstones recount document frequencies


def write_segment(where: Path, counts: Counts) -> None:
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
    large for it; the weights pass (write_weights) and merges read either."""
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


def bm25_weights(tfs: np.ndarray, lengths: np.ndarray, avgdl: float, k1: float,
                 b: float) -> np.ndarray:
    """tf (k1 + 1) / (tf + k1 (1 - b + b length / avgdl)) per posting (`lengths`: its
    document's), as uint16 multiples of weight_step(k1): at most half a step (1.7e-5 at
    k1 = 1.2) from the float32 value."""
    norm = lengths * np.float32(b)
    norm /= max(avgdl, 1e-9)
    norm += 1.0 - b
    norm *= k1
    norm += tfs
    weights = tfs * np.float32(WEIGHT_LEVELS)  # (k1 + 1) / weight_step(k1)
    weights /= norm
    return np.rint(weights).astype(np.uint16)


def live_avgdl(segments: Sequence[Segment]) -> float:
    """The average length of the live documents of `segments` (1 when there are none)."""
    total = sum(float(s.lengths[s.live].sum(dtype=np.float64)) for s in segments)
    count = sum(int(s.live.sum()) for s in segments)
    return total / count if count else 1.0


def write_weights(path: Path, segment: Segment, avgdl: float, k1: float, b: float) -> None:
    """The segment's BM25 weights at average length `avgdl` (bm25_weights) into `path`,
    computed in chunks of postings straight into a memory-mapped file."""
    out = np.lib.format.open_memmap(path, "w+", np.uint16, (len(segment.rows),))
    for start in range(0, len(segment.rows), DF_CHUNK):
        end = start + DF_CHUNK
        out[start:end] = bm25_weights(segment.tfs[start:end],
                                      segment.lengths[segment.rows[start:end]], avgdl, k1, b)
    out.flush()


def df_after(segment: Segment, dying: np.ndarray) -> np.ndarray:
    """The segment's live document frequencies once the `dying` rows (bool per row, all live
    until now) are dead: the old counts minus the dying rows' postings per column, found in
    chunks, so neither time nor memory grows with more than the segment's postings once."""
    df = np.array(segment.df, dtype=np.int32)
    for start in range(0, len(segment.rows), DF_CHUNK):
        positions = np.flatnonzero(dying[segment.rows[start:start + DF_CHUNK]]) + start
        columns = np.searchsorted(segment.ptr, positions, side="right") - 1
        df -= np.bincount(columns, minlength=len(df)).astype(np.int32)
    return df


def write_merged(where: Path, chosen: list[Segment]) -> bool:
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
