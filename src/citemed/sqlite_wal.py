"""Opening SQLite files that several processes share: WAL for a folder that is written while
servers read it, immutable read-only connections for a folder that nobody writes (replicas)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from citemed.errors import LibraryError

WAL_WAIT_SECONDS = 30.0


def use_wal(connection: sqlite3.Connection | sqlite3.Cursor,
            wait_seconds: float = WAL_WAIT_SECONDS) -> None:
    """Switch to WAL, waiting out other connections: SQLite answers "database is locked" to
    this pragma at once, without its busy handler, while another connection holds a lock
    (several server workers opening a new file together)."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def connect_immutable(path: Path) -> sqlite3.Connection:
    """A read-only connection to a file of a read-only library folder. `immutable=1`: SQLite
    takes no locks and creates no -wal/-shm file (a WAL database otherwise needs them even to
    read, which a read-only folder cannot hold). Immutable connections ignore a write-ahead
    log, so one with content (a writer still open, or killed) is refused rather than read
    without its last commits."""
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise LibraryError(
            f"{wal} holds changes not yet in {path.name}: the library in {path.parent} is still "
            "being written or its writer did not finish; let the ingest end (or open the "
            "folder writable once) before serving it read-only")
    if not path.exists():
        raise LibraryError(f"{path} is missing from the read-only library folder {path.parent}")
    uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
    # Any thread may read (callers serialise their use); nothing is written, so no transactions.
    return sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
