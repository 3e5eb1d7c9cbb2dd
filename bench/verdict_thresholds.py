"""Choose the verdict rule and thresholds on TRAINING data only.

Two development sets, both held out from the evidence reader's training:
- BioASQ 1B-6B yes/no questions of the reader's dev split, asked of all 1B-6B snippets;
- PubMedQA train_dev questions of the reader's dev split, asked of the 1,000 abstracts without
  their conclusions (gold yes / no / maybe; "insufficient" and "uncertain" count as maybe).

    python bench/verdict_thresholds.py --data ../shared/data [--limit N] [--reader DIR]

Each question is asked once per `verdict_concepts` rule (every / focus / none) through the real
engine; then the pooled lean thresholds are swept. One JSON line per (set, rule, thresholds),
then the best per set and rule. Never run it on a test split.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import get_args

from citemed.engine import Engine
from citemed.eval.answers import (
    BIOASQ_TRAIN,
    _bioasq_questions,
    _pubmedqa_items,
    _read,
    temporary_library,
)
from citemed.model import VerdictConcepts
from citemed.settings import Settings
from citemed.sources.bioasq import BioASQReader
from citemed.sources.pubmedqa import PubMedQAReader

RULES: tuple[str, ...] = get_args(VerdictConcepts)
STEPS = [i / 10 for i in range(0, 6)]


def _verdict(lean: float, yes: float, no: float) -> str:
    return "yes" if lean > 0 and lean >= yes else "no" if lean < 0 and -lean >= no else "uncertain"


def _rows(engine: Engine, items: list[tuple[str, str]], dump=None) -> list[dict]:
    import citemed.compose as compose

    seen: list = []
    decide = compose.decide

    def capture(cited):  # the readings the verdict pooled, for the offline dump
        seen[:] = [(c.document_id, c.kind_weight, c.reading.relevance, c.reading.yes,
                    c.reading.no, c.reading.neutral) for c in cited]
        return decide(cited)

    rows = []
    compose.decide = capture
    try:
        for question, gold in items:
            seen.clear()
            answer = engine.ask(question)
            scores = answer.direct_answer.verdict_scores
            withheld = answer.direct_answer.verdict in (None, "insufficient")
            rows.append({"gold": gold, "lean": None if withheld or not scores
                         else scores.get("yes", 0.0) - scores.get("no", 0.0)})
            if dump is not None:
                dump.write(json.dumps({"question": question, "gold": gold,
                                       "withheld": withheld, "cited": seen}) + "\n")
    finally:
        compose.decide = decide
    return rows


def _sweep(name: str, rule: str, rows: list[dict], undecided: str) -> dict:
    best: dict = {}
    n = len(rows)
    for yes_t in STEPS:
        for no_t in STEPS:
            guesses = [undecided if r["lean"] is None
                       else _verdict(r["lean"], yes_t, no_t).replace("uncertain", undecided)
                       for r in rows]
            gold_no = [g for g, r in zip(guesses, rows, strict=True) if r["gold"] == "no"]
            line = {"set": name, "verdict_concepts": rule, "yes_lean": yes_t, "no_lean": no_t,
                    "accuracy": round(sum(g == r["gold"] for g, r in zip(guesses, rows,
                                                                        strict=True)) / n, 4),
                    "no_recall": round(sum(g == "no" for g in gold_no) / max(1, len(gold_no)),
                                       4),
                    "decided": round(sum(g in ("yes", "no") for g in guesses) / n, 4)}
            print(json.dumps(line))
            if not best or (line["accuracy"], line["no_recall"]) > (best["accuracy"],
                                                                   best["no_recall"]):
                best = line
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--reader", type=Path, default=None)
    parser.add_argument("--dump", type=Path, default=None,
                        help="write each question's pooled readings here (JSON lines)")
    args = parser.parse_args()
    dump = args.dump.open("w", encoding="utf-8") if args.dump else None
    base = Settings(data=args.data, reader=args.reader)
    bioasq = [(q["body"], str(q.get("exact_answer", "")).strip().lower())
              for q in _bioasq_questions(args.data, "yesno", args.limit, dev=True)]
    pubmedqa = [(q, gold) for _, q, gold in _pubmedqa_items(args.data, args.limit, dev=True)]
    sets = [("bioasq_dev_yesno", bioasq, BioASQReader(), args.data / BIOASQ_TRAIN,
             "insufficient"),
            ("pubmedqa_dev", pubmedqa, PubMedQAReader(include_conclusions=False),
             args.data / "pubmedqa" / "ori_pqal.json", "maybe")]
    best = []
    for name, items, reader, path, undecided in sets:
        with tempfile.TemporaryDirectory() as tmp, \
                temporary_library(Path(tmp), _read(reader, path), name, base) as engine:
            for rule in RULES:
                ruled = Engine(base.model_copy(update={"verdict_concepts": rule}),
                               library=engine.library)
                rows = _rows(ruled, items, dump if rule == "none" else None)
                print(json.dumps({"set": name, "verdict_concepts": rule, "questions": len(rows),
                                  "gold_no": sum(r["gold"] == "no" for r in rows),
                                  "withheld": sum(r["lean"] is None for r in rows)}))
                best.append(_sweep(name, rule, rows, undecided))
    for line in best:
        print(json.dumps({"best": True, **line}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
