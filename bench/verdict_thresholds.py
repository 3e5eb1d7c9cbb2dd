"""Choose the verdict rule and thresholds on TRAINING data only.

Two development sets, both held out from the evidence reader's training:
- BioASQ 1B-6B yes/no questions of the reader's dev split, asked of all 1B-6B snippets;
- PubMedQA train_dev questions of the reader's dev split, asked of the 1,000 abstracts without
  their conclusions (gold yes / no / maybe; "insufficient" and "uncertain" count as maybe);
- the same BioASQ questions asked of the snippets without their gold documents (in folds, as
  the answerability_dev set): any verdict there is wrong.

    python bench/verdict_thresholds.py --data ../shared/data [--limit N] [--reader DIR]

Each question is asked once per `verdict_concepts` rule (every / subject / focus / none) through
the real engine; then the share of the lean given to the evidence-set reader, its set-relevance gate and
the lean thresholds are swept. One JSON line per (set, rule, weight, gate) at its best leans,
then the best per set and rule. Never run it on a test split.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
from pathlib import Path
from typing import get_args

from citemed.engine import Engine
from citemed.eval.datasets import (
    BIOASQ_TRAIN,
    answerability_folds,
    bioasq_questions,
    pubmedqa_items,
    read_documents,
    temporary_library,
)
from citemed.model import VerdictConcepts
from citemed.settings import Settings
from citemed.sources.bioasq import BioASQReader
from citemed.sources.pubmedqa import PubMedQAReader

RULES: tuple[str, ...] = get_args(VerdictConcepts)
WITHHELD = "withheld"  # the right outcome when the library holds no gold document
STEPS = [i / 10 for i in range(0, 6)]


# Shares of the final lean given to the evidence-set reader, and set-relevance gates, swept.
WEIGHTS = [0.0, 0.25, 0.5, 0.75, 1.0]
GATES = [0.0, 0.2, 0.3, 0.4, 0.5, 0.6]


def _verdict(lean: float, yes: float, no: float) -> str:
    return "yes" if lean > 0 and lean >= yes else "no" if lean < 0 and -lean >= no else "uncertain"


def _rows(engine: Engine, items: list[tuple[str, str]], dump=None,
          tag: dict | None = None) -> list[dict]:
    """Per question: the sentence-pooled lean and the evidence-set reading, captured from the
    engine's own `decide` call (None when the page withheld the verdict before pooling)."""
    import citemed.compose as compose

    seen: dict = {}
    decide = compose.decide

    def capture(cited, evidence=None):
        _, _, scores = decide(cited)
        seen.update(sentences=scores.get("yes", 0.0) - scores.get("no", 0.0),
                    evidence=None if evidence is None else
                    [evidence.relevance, evidence.yes, evidence.no, evidence.neutral],
                    cited=[(c.document_id, c.kind_weight, c.reading.relevance, c.reading.yes,
                            c.reading.no, c.reading.neutral, c.coverage) for c in cited])
        return decide(cited, evidence)

    rows = []
    compose.decide = capture
    try:
        for question, gold in items:
            seen.clear()
            answer = engine.ask(question)
            withheld = answer.direct_answer.verdict in (None, "insufficient") or not seen
            row = {**(tag or {}), "question": question, "gold": gold, "withheld": withheld,
                   **seen}
            rows.append(row)
            if dump is not None:
                dump.write(json.dumps(row) + "\n")
    finally:
        compose.decide = decide
    return rows


def _guess(row: dict, weight: float, gate: float, yes_t: float, no_t: float,
           undecided: str) -> str:
    if row["withheld"]:
        return undecided
    lean = row["sentences"]
    if row.get("evidence") is not None:
        relevance, yes, no, _ = row["evidence"]
        if relevance < gate:
            return undecided
        lean = (1 - weight) * lean + weight * (yes - no)
    return _verdict(lean, yes_t, no_t).replace("uncertain", undecided)


def _score(rows: list[dict], guesses: list[str]) -> dict:
    gold_no = [g for g, r in zip(guesses, rows, strict=True) if r["gold"] == "no"]
    n = max(1, len(rows))
    return {"accuracy": round(sum(g == r["gold"] for g, r in zip(guesses, rows, strict=True))
                              / n, 4),
            "no_recall": round(sum(g == "no" for g in gold_no) / max(1, len(gold_no)), 4),
            "decided": round(sum(g in ("yes", "no") for g in guesses) / n, 4)}


def _report(name: str, rule: str, rows: list[dict], undecided: str) -> dict:
    print(json.dumps({"set": name, "verdict_concepts": rule, "questions": len(rows),
                      "gold_no": sum(r["gold"] == "no" for r in rows),
                      "withheld": sum(r["withheld"] for r in rows)}))
    return _sweep(name, rule, rows, undecided)


def _sweep(name: str, rule: str, rows: list[dict], undecided: str) -> dict:
    """One line per (weight, gate) at its best leans; returns the best line."""
    best: dict = {}
    for weight, gate in itertools.product(WEIGHTS, GATES):
        top: dict = {}
        for yes_t in STEPS:
            for no_t in STEPS:
                line = {"set": name, "verdict_concepts": rule, "evidence_weight": weight,
                        "evidence_answers": gate, "yes_lean": yes_t, "no_lean": no_t,
                        **_score(rows, [_guess(r, weight, gate, yes_t, no_t, undecided)
                                        for r in rows])}
                if not top or (line["accuracy"], line["no_recall"]) > (top["accuracy"],
                                                                      top["no_recall"]):
                    top = line
        print(json.dumps(top))
        if not best or (top["accuracy"], top["no_recall"]) > (best["accuracy"],
                                                              best["no_recall"]):
            best = top
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--reader", type=Path, default=None)
    parser.add_argument("--evidence-reader", type=Path, default=None)
    parser.add_argument("--rules", nargs="+", choices=RULES, default=list(RULES),
                        help="verdict_concepts rules to ask with (each asks every question)")
    parser.add_argument("--dump", type=Path, default=None,
                        help="write each question's readings here (JSON lines, every rule)")
    args = parser.parse_args()
    dump = args.dump.open("w", encoding="utf-8") if args.dump else None
    base = Settings(data=args.data, reader=args.reader, evidence_reader=args.evidence_reader)
    bioasq = [(q["body"], str(q.get("exact_answer", "")).strip().lower())
              for q in bioasq_questions(args.data, "yesno", args.limit, dev=True)]
    pubmedqa = [(q, gold) for _, q, gold in pubmedqa_items(args.data, args.limit, dev=True)]
    sets = [("bioasq_dev_yesno", bioasq, BioASQReader(), args.data / BIOASQ_TRAIN,
             "insufficient"),
            ("pubmedqa_dev", pubmedqa, PubMedQAReader(include_conclusions=False),
             args.data / "pubmedqa" / "ori_pqal.json", "maybe")]
    best = []
    for name, items, reader, path, undecided in sets:
        with tempfile.TemporaryDirectory() as tmp, \
                temporary_library(Path(tmp), read_documents(reader, path), name, base) as engine:
            for rule in args.rules:
                ruled = Engine(base.model_copy(update={"verdict_concepts": rule}),
                               library=engine.library)
                rows = _rows(ruled, items, dump, {"set": name, "rule": rule})
                best.append(_report(name, rule, rows, undecided))
    # The same dev yes/no questions asked of the library without their gold documents: every
    # verdict there is wrong, so "accuracy" is the share withheld (1 - verdict_rate).
    questions = bioasq_questions(args.data, "yesno", args.limit, dev=True)
    docs = read_documents(BioASQReader(), args.data / BIOASQ_TRAIN)
    by_rule: dict[str, list[dict]] = {rule: [] for rule in args.rules}
    for fold, (asked, kept) in enumerate(answerability_folds(questions, docs)):
        with tempfile.TemporaryDirectory() as tmp, \
                temporary_library(Path(tmp), kept, f"answerability{fold}", base) as engine:
            for rule in args.rules:
                ruled = Engine(base.model_copy(update={"verdict_concepts": rule}),
                               library=engine.library)
                by_rule[rule].extend(_rows(ruled, [(q["body"], WITHHELD) for q in asked], dump,
                                           {"set": "answerability_dev_yesno", "rule": rule}))
    for rule, rows in by_rule.items():
        best.append(_report("answerability_dev_yesno", rule, rows, WITHHELD))
    for line in best:
        print(json.dumps({"best": True, **line}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
