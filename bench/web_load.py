"""Bounded load test of the answer pages from a second process on loopback.

    python bench/web_load.py --library DIR [--clients 20] [--requests 1000] [--seconds 60]
                             [--workers 1] [--profile OUT.svg]

Starts a fresh `citemed serve` (empty answer cache) in a child process, then C client threads
fetch /ask pages: first every distinct (question, audience) pair once (uncached: new questions),
then a small hot set repeatedly (cached). Each phase stops at its request count or time limit,
whichever comes first. Prints one JSON line per phase: req/s, errors, p50/p95/p99 and the
machine's load average (os.getloadavg, as `uptime` shows it) before and after the phase, since
on a shared machine the figures mean little without it. Issue 11's goal: p95 <= 1.5 s for 20
clients on new questions with one worker. `--profile OUT.svg` samples the server process with
py-spy during the uncached phase (what dominates the time when the goal is missed).
"""

from __future__ import annotations

import argparse
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))

from web_common import emit, percentile, pubmedqa_questions  # noqa: E402

from citemed.web.server import serve_in_subprocess  # noqa: E402


def run_phase(base: str, work: queue.Queue, clients: int, seconds: float) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client_loop() -> None:
        with httpx.Client(timeout=30) as client:
            while time.monotonic() < deadline:
                try:
                    params = work.get_nowait()
                except queue.Empty:
                    return
                started = time.perf_counter()
                try:
                    response = client.get(f"{base}/ask", params=params)
                    failure = None if response.status_code == 200 else str(response.status_code)
                except httpx.HTTPError as error:
                    failure = type(error).__name__
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    if failure:
                        errors.append(failure)

    started = time.perf_counter()
    threads = [threading.Thread(target=client_loop) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {"requests": len(latencies), "errors": len(errors), "wall_s": round(wall, 2),
            "rps": round(len(latencies) / wall, 1),
            "p50_ms": round(percentile(latencies, 50) * 1000, 1),
            "p95_ms": round(percentile(latencies, 95) * 1000, 1),
            "p99_ms": round(percentile(latencies, 99) * 1000, 1),
            "error_kinds": sorted(set(errors))}


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def server_pid(port: str) -> int | None:
    """The `citemed serve --port PORT` child (serve_in_subprocess does not expose it)."""
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in command and port.encode() in command:
            return int(entry.name)
    return None


def start_profiler(base: str, out: Path) -> subprocess.Popen | None:
    pid = server_pid(base.rsplit(":", 1)[1])
    if pid is None:
        print("profile: server process not found", file=sys.stderr)
        return None
    return subprocess.Popen(["py-spy", "record", "--pid", str(pid), "--output", str(out),
                             "--rate", "50", "--nonblocking"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--library", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=1, help="citemed serve --workers")
    parser.add_argument("--profile", type=Path, help="py-spy flame graph of the uncached phase")
    args = parser.parse_args()
    questions = pubmedqa_questions(args.data)
    distinct = [{"q": q, "audience": a} for q in questions for a in ("clinician", "patient")]
    hot = distinct[:20]
    with serve_in_subprocess(args.library, workers=args.workers) as base:
        documents = httpx.get(f"{base}/api/v1/health").json()["documents"]
        uncached: queue.Queue = queue.Queue()
        for params in distinct[:args.requests]:
            uncached.put(params)
        cached: queue.Queue = queue.Queue()
        for i in range(args.requests):
            cached.put(hot[i % len(hot)])
        for label, work in [("uncached", uncached), ("cached", cached)]:
            profiler = start_profiler(base, args.profile) if args.profile and \
                label == "uncached" else None
            before = load_average()
            result = run_phase(base, work, args.clients, args.seconds)
            if profiler is not None:
                profiler.send_signal(2)  # py-spy writes the flame graph on SIGINT
                profiler.wait(timeout=60)
            emit(f"load_{label}_rps", result.pop("rps"), "req/s", clients=args.clients,
                 workers=args.workers, corpus_documents=documents,
                 load_before=before, load_after=load_average(), cpus=os.cpu_count(),
                 p95_goal_met=result["p95_ms"] <= 1500, **result)


if __name__ == "__main__":
    main()
