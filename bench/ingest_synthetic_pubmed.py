"""Ingest throughput on synthetic PubMed baseline files (10k and 100k citations by default).

    PYTHONPATH=src python bench/ingest_synthetic_pubmed.py [--sizes 10000 100000] [--keep DIR]

Each size runs in a fresh process (so peak RSS is that size's own) and prints JSON lines:
store ingest rate (parse + split + hash + SQLite), BM25 index build time, end-to-end rate,
a second no-change ingest, peak RSS, input and library size.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.synthetic_pubmed import write_pubmed_xml  # noqa: E402


def machine() -> str:
    return f"{platform.machine()} {os.cpu_count()} cpu, {platform.python_implementation()} " \
           f"{platform.python_version()}, shared with other jobs"


def emit(name: str, value: float, unit: str, size: int, **extra: object) -> None:
    print(json.dumps({"name": name, "value": round(value, 3), "unit": unit, "corpus_size": size,
                      "machine": machine(), **extra}), flush=True)


def run_one(size: int, work: Path) -> None:
    from citemed.library import Library
    from citemed.settings import Settings

    xml = work / f"synthetic_{size}.xml.gz"
    if not xml.exists():
        write_pubmed_xml(xml, size)
    library_dir = work / f"lib_{size}"
    library = Library(Settings(library=library_dir), create=True)

    started, cpu_started = time.perf_counter(), time.process_time()
    report = library.ingest_paths([xml], refresh=False)
    stored, stored_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    assert report.total.added == size, report.total
    store_peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    index_started = time.perf_counter()
    library.refresh_indexes()
    indexed = time.perf_counter() - index_started
    total = stored + indexed

    again_started = time.perf_counter()
    again = library.ingest_paths([xml])
    second = time.perf_counter() - again_started
    assert again.total.unchanged == size, again.total
    library.close()

    disk = sum(p.stat().st_size for p in library_dir.rglob("*") if p.is_file())
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    emit("ingest_store_rate", size / stored, "docs/s", size, seconds=round(stored, 2))
    # CPU time is the figure that does not depend on what else the machine is running.
    emit("ingest_store_rate_cpu", size / stored_cpu, "docs per CPU-second", size,
         cpu_seconds=round(stored_cpu, 2))
    emit("peak_rss_after_store_ingest", store_peak_mib, "MiB", size)
    emit("lexical_index_build", indexed, "s", size)
    emit("ingest_with_lexical_index_rate", size / total, "docs/s", size, seconds=round(total, 2))
    emit("reingest_unchanged", second, "s", size)
    emit("peak_rss_with_index_build", peak_mib, "MiB", size)
    emit("input_size", xml.stat().st_size / 2**20, "MiB (gzip)", size)
    emit("library_size", disk / 2**20, "MiB", size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--keep", type=Path, help="work folder to keep (default: a temp dir)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        run_one(args.one, args.keep)
        return
    with tempfile.TemporaryDirectory(prefix="citemed-bench-") as temp:
        work = args.keep or Path(temp)
        work.mkdir(parents=True, exist_ok=True)
        for size in args.sizes:
            subprocess.run([sys.executable, __file__, "--one", str(size), "--keep", str(work)],
                           check=True)


if __name__ == "__main__":
    main()
