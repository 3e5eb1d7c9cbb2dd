"""Switching SQLite files to WAL when several processes or threads open them at once."""

from __future__ import annotations

import sqlite3
import time

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
