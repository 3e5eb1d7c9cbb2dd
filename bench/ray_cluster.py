"""A real local Ray cluster for the cluster-ingest test and bench/ray_ingest.py: a head and N
worker nodes, each started by `ray start` as its own process group (its own GCS/raylet
processes), in a private temp dir, and stopped by killing exactly those process groups.

Not `ray stop`: that stops every Ray process on the machine, not only ours.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

SRC = Path(__file__).parents[1] / "src"
RAY = Path(sys.executable).with_name("ray")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(args: list[str], env: dict[str, str]) -> int:
    """Run `ray start ARGS` in a new session; return its process group (left running)."""
    process = subprocess.Popen([str(RAY), "start", "--disable-usage-stats", *args], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True, text=True)
    output, _ = process.communicate(timeout=120)
    if process.returncode != 0:
        raise RuntimeError(f"ray start {' '.join(args)} failed:\n{output}")
    return process.pid


def _stop(group: int) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):  # raylet and GCS ignore SIGTERM at times
        try:
            os.killpg(group, sig)
        except ProcessLookupError:
            return
        time.sleep(1.0)


class Addresses(NamedTuple):
    gcs: str  # HOST:PORT, what `ray start --address` and ray.init take on the cluster's LAN
    client: str  # ray://HOST:PORT, the Ray Client server on the head (a remote driver)


@contextmanager
def local_ray_cluster(workers: int = 1, *, head_cpus: int = 1,
                      worker_cpus: int = 1) -> Iterator[Addresses]:
    """A head with `head_cpus` and `workers` worker nodes of `worker_cpus` each, with its
    addresses. Workers import this checkout's `citemed` (PYTHONPATH)."""
    temp = Path(tempfile.mkdtemp(prefix="citemed-ray-"))
    port, client_port = free_port(), free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(SRC), str(SRC.parent), os.environ.get("PYTHONPATH", "")]),
        "RAY_USAGE_STATS_ENABLED": "0"}
    groups: list[int] = []
    try:
        groups.append(_start(["--head", "--node-ip-address", "127.0.0.1", "--port", str(port),
                              "--ray-client-server-port", str(client_port),
                              "--num-cpus", str(head_cpus), "--include-dashboard=false",
                              "--temp-dir", str(temp)], env))
        address = f"127.0.0.1:{port}"
        for _ in range(workers):
            groups.append(_start(["--address", address, "--node-ip-address", "127.0.0.1",
                                  "--num-cpus", str(worker_cpus)], env))
        yield Addresses(address, f"ray://127.0.0.1:{client_port}")
    finally:
        for group in reversed(groups):
            _stop(group)
        shutil.rmtree(temp, ignore_errors=True)
