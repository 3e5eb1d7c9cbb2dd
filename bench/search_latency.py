"""Search latency over a library: p50/p95/max per query, excluding one-off model/index load.

Wall-clock and CPU-time percentiles are both printed: on a shared machine the wall time includes
waiting for a core.

    python bench/search_latency.py --library DIR [--queries N] [--lexical]

Queries are the PubMedQA train_dev questions (never the test split), so the numbers reflect
realistic clinical questions. Prints one JSON line per measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

from citemed.engine import Engine
from citemed.settings import Settings


def machine() -> str:
    return f"{platform.machine()} {os.cpu_count()} cpu, load {os.getloadavg()[0]:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("CITEMED_DATA",
                                                                         "../shared/data")))
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--lexical", action="store_true", help="BM25 only (dense is on by default).")
    parser.add_argument("--audience", default="clinician")
    args = parser.parse_args()

    records = json.loads((args.data / "pubmedqa" / "ori_pqal.json").read_text())
    split = json.loads((args.data / "pubmedqa" / "pqal_split_pmids.json").read_text())
    questions = [records[p]["QUESTION"] for p in split["train_dev"]][:args.queries]

    engine = Engine(Settings(library=args.library, dense=not args.lexical))
    started = time.perf_counter()
    engine.search("warm up: load the index and the model once")
    load_ms = (time.perf_counter() - started) * 1000
    times, cpu = [], []
    for question in questions:
        t0, c0 = time.perf_counter(), time.process_time()
        engine.search(question, audience=args.audience)  # type: ignore[arg-type]
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    times.sort()
    cpu.sort()
    docs = len(engine.library.lexical.doc_ids)
    common = {"unit": "ms", "documents": docs, "queries": len(times), "dense": not args.lexical,
              "machine": machine()}
    for name, value in [
        ("search_load_ms", load_ms),
        ("search_p50_ms", statistics.median(times)),
        ("search_p95_ms", times[int(0.95 * (len(times) - 1))]),
        ("search_max_ms", times[-1]),
        # CPU time per search: what the wall time would be on an idle machine (single-threaded
        # unless dense is on), less distorted by the other jobs sharing the cores.
        ("search_cpu_p50_ms", statistics.median(cpu)),
        ("search_cpu_p95_ms", cpu[int(0.95 * (len(cpu) - 1))]),
    ]:
        print(json.dumps({"name": name, "value": round(value, 2), **common}))


if __name__ == "__main__":
    main()
