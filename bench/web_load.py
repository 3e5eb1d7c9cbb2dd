"""Bounded load test of the answer pages from a second process on loopback.

    python bench/web_load.py --library DIR [--clients 20] [--requests 1000] [--seconds 60]
                             [--workers 1]

Starts a fresh `citemed serve` (empty answer cache) in a child process, then C client threads
fetch /ask pages: first every distinct (question, audience) pair once (uncached), then a small
hot set repeatedly (cached). Each phase stops at its request count or time limit, whichever
comes first. Prints req/s, error count and latency percentiles per phase.
"""

from __future__ import annotations

import argparse
import queue
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--library", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=1, help="citemed serve --workers")
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
            result = run_phase(base, work, args.clients, args.seconds)
            emit(f"load_{label}_rps", result.pop("rps"), "req/s", clients=args.clients,
                 workers=args.workers,
                 corpus_documents=documents, **result)


if __name__ == "__main__":
    main()
