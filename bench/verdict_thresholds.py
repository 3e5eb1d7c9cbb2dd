"""Choose the verdict thresholds on TRAINING data only: BioASQ 1B-6B yes/no questions that the
evidence reader held out (its development split), asked of a library of all 1B-6B snippets.

    python bench/verdict_thresholds.py --data ../shared/data [--limit N]

Prints one JSON line per candidate threshold pair (strict accuracy, "no" recall, decided share)
and, with and without the focus-concept rule, the best pair. Never run it on a test split.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from citemed.eval.answers import BIOASQ_TRAIN, _bioasq_questions, _read, temporary_library
from citemed.sources.bioasq import BioASQReader


def _verdict(lean: float, yes: float, no: float) -> str:
    return "yes" if lean > 0 and lean >= yes else "no" if lean < 0 and -lean >= no else "uncertain"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    questions = _bioasq_questions(args.data, "yesno", args.limit, dev=True)
    docs = _read(BioASQReader(), args.data / BIOASQ_TRAIN)
    rows = []
    with tempfile.TemporaryDirectory() as tmp, \
            temporary_library(Path(tmp), docs, "bioasq") as engine:
        for q in questions:
            answer = engine.ask(q["body"])
            scores = answer.direct_answer.verdict_scores
            rows.append({
                "gold": str(q.get("exact_answer", "")).strip().lower(),
                "verdict": answer.direct_answer.verdict,
                "lean": scores.get("yes", 0.0) - scores.get("no", 0.0) if scores else None,
                "partial": any(n.startswith("Partial evidence") for n in answer.notices),
            })
    n = len(rows)
    print(json.dumps({"questions": n, "gold_no": sum(r["gold"] == "no" for r in rows),
                      "abstained": sum(r["lean"] is None for r in rows)}))
    best: dict[str, tuple] = {}
    for rule in ("none", "focus", "partial"):
        for yes_step in range(0, 9):
            for no_step in range(0, 9):
                yes_t, no_t = yes_step / 10, no_step / 10
                guesses = []
                for r in rows:
                    if r["lean"] is None or (rule == "focus" and r["verdict"] == "insufficient") \
                            or (rule == "partial" and (r["partial"]
                                                       or r["verdict"] == "insufficient")):
                        guesses.append("insufficient")
                    else:
                        guesses.append(_verdict(r["lean"], yes_t, no_t))
                right = sum(g == r["gold"] for g, r in zip(guesses, rows, strict=True))
                gold_no = [g for g, r in zip(guesses, rows, strict=True) if r["gold"] == "no"]
                line = {"focus_rule": rule, "yes_lean": yes_t, "no_lean": no_t,
                        "accuracy": round(right / n, 4),
                        "no_recall": round(sum(g == "no" for g in gold_no) / max(1, len(gold_no)),
                                           4),
                        "decided": round(sum(g in ("yes", "no") for g in guesses) / n, 4)}
                print(json.dumps(line))
                key = f"focus_rule={rule}"
                if key not in best or (line["accuracy"], line["no_recall"]) > best[key][:2]:
                    best[key] = (line["accuracy"], line["no_recall"], line)
    for key, (_, _, line) in best.items():
        print(json.dumps({"best": key, **line}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
