"""Approximate dense search engines compared: usearch, hnswlib, faiss-cpu (HNSW), vs exact.

    nice -n 19 python bench/ann_compare.py [--size 100000] [--queries 300] [--vectors FILE.npy]
    PYTHONPATH=src python bench/ann_compare.py --library DIR --questions 300 --engines citemed

Vectors are generated (clustered unit vectors in 384 dimensions, like MiniLM heads: topics are
clusters), read from a float16 .npy, or a library's dense rows (`--library`). Queries are other
points of the same distribution, or with `--questions N` the first N BioASQ training questions
embedded by the product's question encoder. Engine `citemed` is the product's own path
(`update_dense_index` with the graph forced on, then `DenseIndex.nearest`: the int8 graph's
candidates rescored from the float16 rows). Prints one JSON line per engine: build seconds (2 threads), recall@10
against the exact inner-product top 10, query p50/p95 ms (one thread), index bytes on disk, and
whether it supports incremental adds, deletes and memory-mapped serving.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

DIM = 384
M, EF_ADD, EF_SEARCH = 16, 128, 128


def generated(n: int, queries: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(50, n // 200), DIM)).astype(np.float32)

    def points(count: int) -> np.ndarray:
        picks = centres[rng.integers(0, len(centres), count)]
        out = picks + 0.9 * rng.standard_normal((count, DIM)).astype(np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    return points(n), points(queries)


def exact_top(data: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    out = np.zeros((len(queries), k), dtype=np.int64)
    for start in range(0, len(queries), 64):
        sims = queries[start:start + 64] @ data.T
        part = np.argpartition(-sims, k, axis=1)[:, :k]
        order = np.take_along_axis(sims, part, 1).argsort(axis=1)[:, ::-1]
        out[start:start + 64] = np.take_along_axis(part, order, 1)
    return out


def recall(found: list[np.ndarray], truth: np.ndarray) -> float:
    return float(np.mean([len(set(f.tolist()) & set(t.tolist())) / len(t)
                          for f, t in zip(found, truth, strict=True)]))


def timed_queries(search, queries: np.ndarray) -> tuple[list[np.ndarray], list[float]]:
    found, times = [], []
    for query in queries:
        t0 = time.perf_counter()
        found.append(search(query))
        times.append((time.perf_counter() - t0) * 1000)
    return found, sorted(times)


def run_usearch(data, queries, work: Path):
    from usearch.index import Index

    index = Index(ndim=DIM, metric="ip", dtype="f16", connectivity=M, expansion_add=EF_ADD,
                  expansion_search=EF_SEARCH)
    t0 = time.perf_counter()
    index.add(np.arange(len(data), dtype=np.uint64), data, threads=2)
    build = time.perf_counter() - t0
    path = work / "u.usearch"
    index.save(str(path))
    viewed = Index.restore(str(path), view=True)
    found, times = timed_queries(lambda q: viewed.search(q, 10, threads=1).keys.astype(np.int64),
                                 queries)
    return build, found, times, path.stat().st_size, "adds, removes, view (mmap)"


def run_hnswlib(data, queries, work: Path):
    import hnswlib

    index = hnswlib.Index(space="ip", dim=DIM)
    index.init_index(max_elements=len(data), ef_construction=EF_ADD, M=M)
    index.set_num_threads(2)
    t0 = time.perf_counter()
    index.add_items(data, np.arange(len(data)))
    build = time.perf_counter() - t0
    index.set_ef(EF_SEARCH)
    index.set_num_threads(1)
    path = work / "h.bin"
    index.save_index(str(path))
    found, times = timed_queries(lambda q: index.knn_query(q, k=10)[0][0].astype(np.int64),
                                 queries)
    return build, found, times, path.stat().st_size, "adds (resize), mark_deleted, no mmap"


def run_faiss(data, queries, work: Path):
    import faiss

    faiss.omp_set_num_threads(2)
    index = faiss.IndexHNSWFlat(DIM, M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = EF_ADD
    t0 = time.perf_counter()
    index.add(data)
    build = time.perf_counter() - t0
    index.hnsw.efSearch = EF_SEARCH
    faiss.omp_set_num_threads(1)
    path = work / "f.index"
    faiss.write_index(index, str(path))
    found, times = timed_queries(lambda q: index.search(q[None, :], 10)[1][0].astype(np.int64),
                                 queries)
    return build, found, times, path.stat().st_size, "adds, no removes on HNSW, float32 only"


def run_citemed(data, queries, work: Path):
    from citemed.library.dense import update_dense_index

    def embed(texts: list[str]) -> np.ndarray:
        return data[[int(text) for text in texts]]

    t0 = time.perf_counter()
    index = update_dense_index(work / "citemed", {str(i): "h" for i in range(len(data))},
                               lambda ids: [(i, i) for i in ids], version="bench", embed=embed,
                               ann_min_documents=0)
    build = time.perf_counter() - t0
    found, times = timed_queries(lambda q: index.nearest(q, 10)[0], queries)
    size = sum(p.stat().st_size for p in (work / "citemed").glob("dense-*.usearch"))
    return build, found, times, size, "the product's DenseIndex (int8 graph, exact rescoring)"


def library_rows(folder: Path) -> np.ndarray:
    from citemed.library.dense import DenseIndex

    index = DenseIndex.load(folder / "index")
    if index is None:
        raise SystemExit(f"{folder} has no dense index: run 'citemed demo' first")
    return np.asarray(index.vectors[np.flatnonzero(index.ids != b"")], dtype=np.float32)


def training_questions(data: Path, count: int) -> np.ndarray:
    from citemed.library.embed import embed_question

    file = data / "bioasq_train" / "bioasq_train_1B-6B.json"
    bodies = [q["body"] for q in json.loads(file.read_text(encoding="utf-8"))["questions"]]
    return np.stack([embed_question(body) for body in bodies[:count]]).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--vectors", type=Path, help="float16 .npy of real head vectors")
    parser.add_argument("--library", type=Path, help="a library folder: its dense rows")
    parser.add_argument("--questions", type=int, help="queries: N BioASQ training questions")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--engines", nargs="+", default=["usearch", "hnswlib", "faiss"])
    args = parser.parse_args()
    if args.library:
        data = library_rows(args.library)
        queries = training_questions(args.data, args.questions or args.queries)
        source = f"{len(data):,} head vectors of {args.library}, BioASQ training questions"
    elif args.vectors:
        everything = np.load(args.vectors).astype(np.float32)
        rng = np.random.default_rng(3)
        picked = rng.choice(len(everything), args.queries, replace=False)
        queries = everything[picked]
        data = np.delete(everything, picked, axis=0)
        source = str(args.vectors)
    else:
        data, queries = generated(args.size, args.queries)
        source = "generated clustered unit vectors"
    truth = exact_top(data, queries, 10)
    t0 = time.perf_counter()
    _ = queries[0] @ data.T
    exact_ms = (time.perf_counter() - t0) * 1000
    if args.questions and not args.library:
        queries = training_questions(args.data, args.questions)
        source += ", BioASQ training questions"
    runners = {"usearch": run_usearch, "hnswlib": run_hnswlib, "faiss": run_faiss,
               "citemed": run_citemed}
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as temp:
        for name in args.engines:
            build, found, times, size, features = runners[name](data, queries, Path(temp))
            print(json.dumps({
                "name": f"ann_{name}", "vectors": len(data), "source": source,
                "params": {"M": M, "ef_add": EF_ADD, "ef_search": EF_SEARCH},
                "build_s": round(build, 2), "recall_at_10": round(recall(found, truth), 4),
                "query_p50_ms": round(statistics.median(times), 3),
                "query_p95_ms": round(times[int(0.95 * (len(times) - 1))], 3),
                "disk_mib": round(size / 2**20, 1), "features": features,
                "exact_scan_ms_one_query_f32": round(exact_ms, 2),
                "load_avg_1min": round(load, 2),
            }), flush=True)


if __name__ == "__main__":
    main()
