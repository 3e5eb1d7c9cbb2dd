"""Lexical engine choice, measured: SQLite FTS5 (bm25) against the precomputed BM25 matrix.

    PYTHONPATH=src python bench/lexical_fts5_vs_matrix.py LIBRARY_DIR

Builds both over the same library (FTS5 in a scratch copy, so the library is untouched) and
prints JSON lines: build time, size on disk and median query latency over a fixed question set.
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from citemed.library import lexical_build
from citemed.library.store import Store
from citemed.text import raw_tokens, tokenize

QUESTIONS = [
    "Does metformin reduce cardiovascular events in type 2 diabetes?",
    "What are the symptoms of acromegaly?",
    "opioids for chronic low back pain",
    "Is exercise effective for knee osteoarthritis pain?",
    "first-line treatment of hypertension in adults",
    "How is sickle cell disease treated with hydroxyurea?",
    "aromatase inhibitor joint pain",
    "Does vitamin D supplementation prevent fractures?",
    "side effects of rivastigmine",
    "screening for hepatitis B in health care personnel",
    "What causes glaucoma?",
    "statin therapy for primary prevention",
    "PTSD psychotherapy versus medication",
    "Is preexposure prophylaxis effective against HIV?",
    "mitochondria in programmed cell death",
    "inhaled corticosteroids in COPD exacerbations",
    "gene mutations causing cystic fibrosis",
    "antibiotic prophylaxis before dental procedures",
    "depression screening in primary care",
    "blood transfusion before surgery in sickle cell disease",
]


def emit(name: str, value: float, unit: str, size: int) -> None:
    print(json.dumps({"name": name, "value": round(value, 4), "unit": unit, "corpus_size": size,
                      "machine": f"{platform.machine()} {os.cpu_count()} cpu, shared"}), flush=True)


def main(folder: Path) -> None:
    store = Store(folder)
    size = len(store)
    with tempfile.TemporaryDirectory() as temp:
        fts_path = Path(temp) / "fts.sqlite"
        conn = sqlite3.connect(fts_path)
        conn.execute("CREATE VIRTUAL TABLE fts USING fts5(doc_id UNINDEXED, title, body, "
                     "tokenize='porter unicode61')")
        started = time.perf_counter()
        with conn:
            conn.executemany("INSERT INTO fts(doc_id, title, body) VALUES (?,?,?)", (
                (d.id, d.title, "\n".join(s.text for s in d.sections))
                for d in store.iter_documents()))
        conn.execute("INSERT INTO fts(fts) VALUES ('optimize')")
        emit("fts5_build", time.perf_counter() - started, "s", size)
        emit("fts5_size", fts_path.stat().st_size / 2**20, "MiB", size)

        started = time.perf_counter()
        index = lexical_build.build(Path(temp) / "idx", store.iter_documents(), version="")
        emit("bm25_matrix_build", time.perf_counter() - started, "s", size)
        on_disk = sum(p.stat().st_size for p in (Path(temp) / "idx").rglob("*") if p.is_file())
        emit("bm25_matrix_size", on_disk / 2**20, "MiB", size)

        fts_ms, matrix_ms = [], []
        for question in QUESTIONS:
            words = [w for w in raw_tokens(question) if tokenize(w)]  # stop words out
            match = " OR ".join(f'"{w}"' for w in words)
            started = time.perf_counter()
            conn.execute("SELECT doc_id FROM fts WHERE fts MATCH ? ORDER BY bm25(fts, 2.0, 1.0) "
                         "LIMIT 10", (match,)).fetchall()
            fts_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            scores = index.scores(dict.fromkeys(tokenize(question), 1.0))
            np.argpartition(-scores, 10)[:10]
            matrix_ms.append((time.perf_counter() - started) * 1000)
        emit("fts5_query_median", statistics.median(fts_ms), "ms", size)
        emit("bm25_matrix_query_median", statistics.median(matrix_ms), "ms", size)
        conn.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
