"""Ingest throughput, local vs on a local Ray cluster with 1 and 2 worker nodes (lexical only).

    PYTHONPATH=src python bench/ray_ingest.py [--documents 8000] [--files 8] [--workers 1 2]

Synthetic PubMed files (bench/synthetic_pubmed.py) in a temp folder. For each mode, JSON lines:
the read+store rate (parse, split, hash, SQLite; what the cluster spreads) and the end-to-end
rate (with the BM25 build, which stays in the driver), with the 1-minute load average. The Ray
runs use a head with no CPUs (it schedules only) and N worker nodes of 1 CPU each; cluster
start-up is not timed, connecting is.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ingest_synthetic_pubmed import emit  # noqa: E402
from bench.ray_cluster import local_ray_cluster  # noqa: E402
from bench.synthetic_pubmed import FIRST_PMID, write_pubmed_xml  # noqa: E402


def run(mode: str, inputs: Path, library_dir: Path, documents: int, files: int,
        address: str | None = None, workers: int = 0) -> None:
    from citemed.cluster import connected, ingest_units, plan_units
    from citemed.library import IngestReport, Library
    from citemed.settings import Settings

    library = Library(Settings(library=library_dir, dense=False), create=True)
    started = time.perf_counter()
    if address is None:
        report = library.ingest_paths([inputs], refresh=False)
    else:
        report = IngestReport()
        with connected(address):
            units = plan_units(library.plan([inputs], None, report))
            ingest_units(library, units, report=report)
    stored = time.perf_counter() - started
    assert report.total.added == documents, report.total
    library.refresh_indexes()
    total = time.perf_counter() - started
    library.close()
    for name, seconds in (("read_store", stored), ("end_to_end", total)):
        emit(f"ray_ingest_{name}_docs_per_s", documents / seconds, "docs/s", documents,
             mode=mode, workers=workers, files=files, seconds=round(seconds, 2),
             load_avg_1min=round(os.getloadavg()[0], 2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=8000)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2])
    args = parser.parse_args()
    per_file = args.documents // args.files
    documents = per_file * args.files
    with tempfile.TemporaryDirectory(prefix="citemed-ray-bench-") as temp:
        work = Path(temp)
        inputs = work / "baseline"
        inputs.mkdir()
        for n in range(args.files):
            write_pubmed_xml(inputs / f"pubmed26n{n + 1:04d}.xml.gz", per_file,
                             first=FIRST_PMID + n * per_file)
        run("local", inputs, work / "lib-local", documents, args.files)
        for workers in args.workers:
            with local_ray_cluster(workers, head_cpus=0) as addresses:
                run("ray", inputs, work / f"lib-ray-{workers}", documents, args.files,
                    address=addresses.gcs, workers=workers)


if __name__ == "__main__":
    main()
