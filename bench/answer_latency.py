"""Answer latency over the demo library: p50 / p95 of Engine.ask, model and index loaded.

    python bench/answer_latency.py --library DIR [--repeat 3]

Builds nothing: point it at a demo library (`citemed demo --library DIR`). One warm-up ask loads
the index; then every question is asked `--repeat` times. Prints one JSON line per measurement.
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

QUESTIONS = [
    "Is aromatase inhibitor-induced musculoskeletal syndrome linked to estrogen deprivation?",
    "Can statins cause myopathy?",
    "Does vitamin D supplementation prevent fractures?",
    "Is obesity associated with asthma in children?",
    "What is the first-line treatment of gout?",
    "How does metformin lower blood glucose?",
    "Is smoking a risk factor for Crohn's disease?",
    "Does aspirin reduce the risk of colorectal cancer?",
    "What is the prognosis of stage I non-small cell lung cancer?",
    "Which test best diagnoses pulmonary embolism?",
    "Are microRNAs involved in heart failure?",
    "What dose of methotrexate is used in rheumatoid arthritis?",
    "Is laparoscopic appendectomy better than open appendectomy?",
    "Does exercise improve depression in older adults?",
    "Is BRCA1 mutation associated with breast cancer?",
    "What causes Duchenne muscular dystrophy?",
    "Does acupuncture relieve chronic low back pain?",
    "Is hypothyroidism associated with depression?",
    "What is the treatment of Helicobacter pylori infection?",
    "Can zinc shorten the common cold?",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    engine = Engine(Settings(library=args.library))
    engine.ask(QUESTIONS[0])  # warm-up: loads the lexical index and the stance weights
    timings = []
    for _ in range(args.repeat):
        for question in QUESTIONS:
            started = time.perf_counter()
            engine.ask(question)
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    machine = f"{platform.machine()} {os.cpu_count()} cpu, shared with other agents"
    corpus = len(engine.library.store)
    for name, value in [("answer_latency_p50", statistics.median(timings)),
                        ("answer_latency_p95", timings[int(0.95 * (len(timings) - 1))]),
                        ("answer_latency_max", timings[-1])]:
        print(json.dumps({"name": name, "value": round(value, 1), "unit": "ms",
                          "corpus_documents": corpus, "answers": len(timings),
                          "machine": machine}))
    engine.close()


if __name__ == "__main__":
    main()
