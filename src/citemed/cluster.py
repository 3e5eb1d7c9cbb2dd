"""Bulk ingest on a Ray cluster: `citemed ingest PATH... --cluster ADDRESS`.

Workers parse the input files (one Ray task per file, with the same readers as a local ingest)
and embed the document heads (the same encoder, `embed.embed_heads`). This process, the driver,
writes everything: SQLite has one writer, and writing the results in input order gives exactly
the library a local ingest writes (a later file's revision or DeleteCitation wins, as locally).
Worker vectors go into the vector cache, so the driver's dense refresh finds every head there
and embeds nothing itself.

Resuming: a file is recorded in the store once its documents are committed (the same record a
local ingest keeps), so a re-run after a crash skips it. A worker that dies mid-task is replaced
and the task run again by Ray (`max_retries`); nothing is written before the driver holds a
task's whole result, so a retried task never writes twice.

The input files must be readable at the same path on every node (a shared folder), and every
node needs the same CiteMed installed (with the 'dense' extra when dense is on).

Ray tasks rather than Ray Data: the driver needs each file's records whole and in input order
(to write them in one pass and then record the file as done); a Data pipeline would stream
rows that the driver would have to regroup by file.
"""

from __future__ import annotations

import logging
import socket
import time
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from citemed.errors import CiteMedError, InputError, LibraryError
from citemed.library import IngestReport, Library, dense_wanted
from citemed.library.embed import ProgressFactory, VectorCache, embed_heads, head_text
from citemed.model import Document
from citemed.sources import Deletion, Reader, ReadItem
from citemed.sources.base import FileOrFolderReader

# Runs of a task whose worker process (or node) died; a reader's own exception is not retried
# (it would fail the same way again).
MAX_RETRIES = 3


@dataclass(frozen=True)
class Unit:
    """One task's input: a file, or a folder its reader takes whole (BioASQ, guidelines)."""

    reader: Reader
    path: Path
    member: bool  # a file of a folder a FileOrFolderReader reads: checked like a local read


@dataclass
class Parsed:
    items: list[ReadItem]
    heads: list[str]  # head text of each Document in items, in order
    vectors: np.ndarray | None  # float16 head vectors, when dense is on


def _ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise CiteMedError(
            "--cluster needs the 'cluster' extra (Ray): pip install 'citemed[cluster]'") from exc
    return ray


@contextmanager
def connected(address: str) -> Iterator[Any]:
    """The ray module, connected to the cluster at `address`: ray://HOST:PORT (Ray Client),
    HOST:PORT (the head's GCS) or auto. Disconnects on exit unless it was connected before."""
    ray = _ray()
    if ray.is_initialized():
        yield ray
        return
    try:
        # Worker output would break into the progress bar; it stays in the cluster's logs.
        ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
    except (ConnectionError, ValueError, RuntimeError) as exc:
        raise CiteMedError(f"cannot connect to the Ray cluster at {address!r}: {exc}") from exc
    try:
        yield ray
    finally:
        ray.shutdown()


def plan_units(pairs: Iterable[tuple[Reader, Path]]) -> list[Unit]:
    """One unit per file: a folder of PubMed files becomes one task per file."""
    units: list[Unit] = []
    for reader, path in pairs:
        if isinstance(reader, FileOrFolderReader) and path.is_dir():
            units += [Unit(reader, file, True) for file in reader.files(path)]
        else:
            units.append(Unit(reader, path, False))
    return units


def parse_unit(unit: Unit, dense: bool) -> Parsed:
    """Read one unit on a worker (and embed its heads when `dense`)."""
    if not unit.path.exists():
        raise InputError(f"{unit.path}: not found on cluster node {socket.gethostname()}; the "
                         "input files must be at the same path on every node (a shared folder)")
    reader = unit.reader
    if unit.member and isinstance(reader, FileOrFolderReader):
        items = list(reader.read_member(unit.path, in_folder=True))
    else:
        items = list(reader.read(unit.path))
    heads = [head_text(item) for item in items if isinstance(item, Document)]
    vectors = embed_heads(heads, None) if dense and heads else None
    return Parsed(items, heads, vectors)


def ingest_on_cluster(library: Library, paths: Iterable[Path], *, address: str,
                      format: str | None = None, progress: ProgressFactory | None = None,
                      force: bool = False) -> IngestReport:
    """`Library.ingest_paths` with the reading and embedding done on a Ray cluster."""
    report = IngestReport()
    units = plan_units(library.plan(paths, format, report))
    with connected(address):
        ingest_units(library, units, report=report, progress=progress, force=force)
    library.refresh_indexes(progress=progress)
    return report


def ingest_units(library: Library, units: list[Unit], *, report: IngestReport,
                 progress: ProgressFactory | None = None, force: bool = False) -> None:
    """Parse the units on the connected cluster and write them here, in order; units read in
    full before and unchanged are skipped (not sent to the cluster)."""
    ray = _ray()
    dense = dense_wanted(library.settings)
    cache_path = library.settings.dense_cache
    if dense and cache_path is None:
        raise LibraryError("a cluster ingest with dense on hands the workers' vectors over in "
                           "the vector cache: set CITEMED_DENSE_CACHE (or CITEMED_DENSE=0)")
    started = time.perf_counter()
    task = ray.remote(max_retries=MAX_RETRIES, retry_exceptions=False)(parse_unit)
    todo = deque((unit, stamp) for unit in units
                 if (stamp := library.path_stamp(unit.reader, unit.path, report, progress, force))
                 is not None)
    # Two tasks in flight per CPU keep workers busy while bounding results held in memory.
    window = max(2, 2 * int(ray.cluster_resources().get("CPU", 1)))
    pending: deque[tuple[Unit, str, Any]] = deque()
    while todo or pending:
        while todo and len(pending) < window:
            unit, stamp = todo.popleft()
            pending.append((unit, stamp, task.remote(unit, dense)))
        unit, stamp, ref = pending.popleft()
        try:
            parsed: Parsed = ray.get(ref)
        except ray.exceptions.RayError as exc:
            cause = getattr(exc, "cause", None) or exc
            raise CiteMedError(f"{unit.path}: reading it on the Ray cluster failed: {cause}") \
                from exc
        if parsed.vectors is not None and cache_path is not None:
            # Before the store write: a document committed always has its vector cached.
            cache = VectorCache(cache_path)
            try:
                cache.put([(VectorCache.key(head), vector)
                           for head, vector in zip(parsed.heads, parsed.vectors, strict=True)])
            finally:
                cache.close()
        records = sum(1 for item in parsed.items if not isinstance(item, Deletion))
        tick = progress(f"{unit.reader.name}: {unit.path.name}", records) if progress else None
        library.ingest_read(unit.reader, unit.path, stamp, parsed.items, report, tick)
    report.seconds += time.perf_counter() - started
