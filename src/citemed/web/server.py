"""`citemed serve`: uvicorn in front of create_app, one warm Engine per process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from citemed.settings import Settings

if TYPE_CHECKING:
    import uvicorn


def serve(settings: Settings, *, host: str, port: int, workers: int = 1) -> None:
    """Serve until interrupted. Each worker process has its own warm Engine and answer cache;
    they share the library (read-only) and the threads database (SQLite WAL). Several servers
    over one read-only folder: docs/replicas.md."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from citemed.library import Library
    from citemed.web.app import create_app

    options: dict[str, Any] = {
        "host": host, "port": port, "log_level": "info", "proxy_headers": False,
        "server_header": False, "timeout_graceful_shutdown": 5}
    # Fail here, with the CLI's message, when the articles database has nowhere to live (a
    # read-only library folder and no --database) rather than in uvicorn's startup.
    settings.database_url()
    print(f"CiteMed is serving {settings.library} at http://{host}:{port}/", flush=True)
    if workers == 1:
        uvicorn.run(create_app(settings), **options)
        return
    # Fail here, with the CLI's message, rather than once per worker.
    Library(settings).close()
    config = worker_config(settings, workers=workers, **options)
    # What uvicorn.run does for workers > 1, minus its demand for an import string.
    Multiprocess(config, sockets=[config.bind_socket()]).run()


def worker_config(settings: Settings, *, workers: int, **options: Any) -> uvicorn.Config:
    """uvicorn's configuration for `workers` processes that each build their app from
    `settings`: the factory is pickled into every spawned worker, so the whole Settings object
    travels (command-line choices included), not just what the environment can carry."""
    import uvicorn

    from citemed.web.app import create_app

    return uvicorn.Config(partial(create_app, settings), factory=True, workers=workers, **options)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@contextmanager
def serve_in_subprocess(library: Path, *, host: str = "127.0.0.1", port: int | None = None,
                        workers: int = 1, ready_timeout: float = 60.0, args: Sequence[str] = (),
                        env: Mapping[str, str] | None = None) -> Iterator[str]:
    """Run `citemed serve` in a child process (tests, benchmarks); yields its base URL once
    /api/v1/health answers, and stops it on exit. `args` are more `citemed serve` options
    (`--database URL`), `env` more environment variables (CITEMED_* settings)."""
    import httpx

    port = port or free_port(host)
    env = {**os.environ, **(env or {}), "PYTHONPATH": os.pathsep.join(
        [str(Path(__file__).parents[2]), os.environ.get("PYTHONPATH", "")])}
    # The server's log goes to a file: a pipe nobody reads fills up and blocks the server.
    log = tempfile.TemporaryFile(mode="w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "citemed.cli", "serve", "--library", str(library),
         "--host", host, "--port", str(port), "--workers", str(workers), *args],
        env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://{host}:{port}"
    deadline = time.monotonic() + ready_timeout
    try:
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"citemed serve exited: {log.read()[-4000:]}")
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"citemed serve did not answer within {ready_timeout:.0f} s")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
