"""Hybrid (BM25 + dense) search latency and server memory at scale, with generated head vectors.

    PYTHONPATH=src python bench/hybrid_synthetic.py --library DIR [--queries 200]

DIR is a lexical library, e.g. the 1M synthetic one `bench/lexical_incremental.py` writes.
Embedding 1M heads takes ~4.3 h on 2 cores, so this builds the dense index through the real
code path (`Library.refresh_dense`: float16 rows, metadata, the HNSW graph) from clustered unit
vectors (`bench/ann_compare.generated`) in place of the encoder's; questions are embedded by the
real encoder. The cosines mean nothing for ranking, the time and memory are the real path's.
Each phase runs in a fresh process; one JSON line per figure, with the 1-minute load average.
The serve phase uses the library's settings, so `CITEMED_DENSE_GRAPH_RESIDENT_MIB=0` measures it with
the graph pages never dropped.
"""

from __future__ import annotations

import argparse
import itertools
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ann_compare import generated  # noqa: E402
from bench.lexical_incremental import emit, peak_mib, percentiles, questions, rss_mib  # noqa: E402


def build(args: argparse.Namespace) -> None:
    import numpy as np

    import citemed.library.embed as embed
    from citemed.library import Library
    from citemed.settings import Settings

    library = Library(Settings(library=args.library, dense=True, dense_cache=None))
    batches = itertools.count(1)

    def fake_heads(texts: list[str], cache_path=None, progress=None, device="auto") -> np.ndarray:
        # A new seed per batch: every batch draws its own topics and points.
        vectors, _ = generated(len(texts), 0, seed=next(batches))
        return vectors.astype(np.float16)

    embed.embed_heads = fake_heads
    started, cpu = time.perf_counter(), time.process_time()
    index = library.refresh_dense(force=True)
    emit("dense_build_generated_vectors", time.perf_counter() - started, "s", args,
         cpu_seconds=round(time.process_time() - cpu, 1), rows=index.live if index else 0,
         documents=len(library.store))
    emit("peak_rss_dense_build", peak_mib(), "MiB", args)
    library.close()


def serve(args: argparse.Namespace) -> None:
    from citemed.library import Library
    from citemed.retrieve import search
    from citemed.settings import Settings

    library = Library(Settings(library=args.library, dense=True, dense_cache=None))
    asked = questions(args.queries)
    for question in asked[:10]:  # warm-up: the encoder, the page cache, the graph
        search(library, question, k=10)
    assert library.dense is not None, "no dense index: run the build phase first"
    times = []
    for question in asked:
        started = time.perf_counter()
        search(library, question, k=10)
        times.append((time.perf_counter() - started) * 1000)
    common = {"queries": len(times), "documents": len(library.store),
              "dense_rows": library.dense.live,
              "graph_resident_mib": library.settings.dense_graph_resident_mib,
              "graph_releases": library.dense.releases}
    percentiles("hybrid_search", times, args, **common)
    emit("server_rss_after_hybrid_searches", rss_mib(), "MiB", args, anon_mib=rss_mib("RssAnon"),
         file_mib=rss_mib("RssFile"), **common)
    emit("server_peak_rss_hybrid", peak_mib(), "MiB", args, **common)
    library.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--library", type=Path, required=True)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--phase", choices=["build", "serve"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.engine, args.size = "citemed", 0  # for emit()
    if args.phase == "build":
        build(args)
    elif args.phase == "serve":
        serve(args)
    else:
        for phase in ("build", "serve"):
            subprocess.run([sys.executable, __file__, "--library", str(args.library),
                            "--queries", str(args.queries), "--phase", phase], check=True)


if __name__ == "__main__":
    main()
