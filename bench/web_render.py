"""Answer-page render time over HTTP, uncached (first request) and cached (repeat), one client.

    python bench/web_render.py --library DIR [--questions 100]

Starts `citemed serve` in a child process on a free loopback port, GETs /ask?q=... for
PubMedQA train_dev questions in both audiences, then the same URLs again (served from the
answer cache). Prints p50/p95 of the client-side wall time per page.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))

from web_common import emit, percentile, pubmedqa_questions  # noqa: E402

from citemed.web.server import serve_in_subprocess  # noqa: E402


def timed_pages(client: httpx.Client, base: str, urls: list[dict]) -> list[float]:
    seconds = []
    for params in urls:
        started = time.perf_counter()
        response = client.get(f"{base}/ask", params=params)
        seconds.append(time.perf_counter() - started)
        response.raise_for_status()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--library", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--questions", type=int, default=100)
    args = parser.parse_args()
    questions = pubmedqa_questions(args.data)[:args.questions]
    urls = [{"q": q, "audience": a} for q in questions for a in ("clinician", "patient")]
    with serve_in_subprocess(args.library) as base, httpx.Client(timeout=30) as client:
        documents = client.get(f"{base}/api/v1/health").json()["documents"]
        for label, seconds in [("uncached", timed_pages(client, base, urls)),
                               ("cached", timed_pages(client, base, urls))]:
            for stat, value in [("p50", statistics.median(seconds)),
                                ("p95", percentile(seconds, 95))]:
                emit(f"answer_page_{label}_{stat}", round(value * 1000, 1), "ms",
                     pages=len(seconds), corpus_documents=documents, client="httpx, 1 client")


if __name__ == "__main__":
    main()
