"""Choose the evidence reader's relevance threshold on TRAINING data only.

    python bench/relevance_threshold.py --data ../shared/data [--thresholds 0.3,0.5,0.7]
        [--gates 0,0.3,0.5] [--focus-abstains off,closed,all] [--reader WEIGHTS]
        [--evidence-reader WEIGHTS]

The reader's held-out BioASQ 1B-6B questions (its development split) are asked (a) of a library
of all 1B-6B snippets: summary answers should cite a gold document, yes/no answers be right;
and (b) of that library less their gold documents (`answerability_dev`): the page should show
no bullets and no verdict. One JSON line per (sentence threshold, evidence-set gate
`evidence_answers`, `focus_abstains`). Never run it on a test split.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import get_args

from citemed.eval.answers import answerability_metrics, run_bioasq_summary, run_bioasq_yesno
from citemed.eval.datasets import (
    BIOASQ_TRAIN,
    answerability_folds,
    bioasq_questions,
    read_documents,
    temporary_library,
)
from citemed.model import FocusAbstains
from citemed.settings import Settings
from citemed.sources.bioasq import BioASQReader


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--thresholds", default="0.2,0.35,0.5,0.65,0.8,0.9")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--gates", default="0", help="evidence_answers values")
    parser.add_argument("--focus-abstains", default=None,
                        help="focus_abstains values, comma-separated (off,closed,all); "
                        "default: the setting's")
    parser.add_argument("--reader", type=Path, default=None, help="weights folder")
    parser.add_argument("--evidence-reader", type=Path, default=None, help="weights folder")
    args = parser.parse_args()
    base = Settings(data=args.data, reader=args.reader, evidence_reader=args.evidence_reader)
    modes = (args.focus_abstains or base.focus_abstains).split(",")
    if unknown := set(modes) - set(get_args(FocusAbstains)):
        parser.error(f"--focus-abstains: unknown value(s) {sorted(unknown)}")
    choices = [(float(t), float(g), f) for t in args.thresholds.split(",")
               for g in args.gates.split(",") for f in modes]
    settings = {c: base.model_copy(update={"reader_threshold": c[0], "evidence_answers": c[1],
                                           "focus_abstains": c[2]})
                for c in choices}
    docs = read_documents(BioASQReader(), args.data / BIOASQ_TRAIN)
    rows: dict[tuple[float, float, str], dict] = {
        c: {"threshold": c[0], "evidence_answers": c[1], "focus_abstains": c[2]}
        for c in choices}
    with tempfile.TemporaryDirectory() as tmp:
        with temporary_library(Path(tmp) / "full", docs, "bioasq", base) as engine:
            for t in choices:
                engine.settings = settings[t]
                summary = run_bioasq_summary(engine, args.data, limit=args.limit,
                                             documents=len(docs), dev=True)
                yesno = run_bioasq_yesno(engine, args.data, limit=args.limit,
                                         documents=len(docs), dev=True)
                rows[t].update({f"summary_{k}": round(v, 4) for k, v in summary.metrics.items()
                                if k in ("answers_citing_gold", "citation_precision",
                                         "rouge_su4_f1", "abstained")})
                rows[t].update({f"yesno_{k}": round(v, 4) for k, v in yesno.metrics.items()
                                if k in ("accuracy", "no_recall", "abstained")})
        questions = [*bioasq_questions(args.data, "yesno", args.limit, dev=True),
                     *bioasq_questions(args.data, "summary", args.limit, dev=True)]
        answers: dict[tuple[float, float, str], list] = {c: [] for c in choices}
        for fold, (asked, kept) in enumerate(answerability_folds(questions, docs)):
            with temporary_library(Path(tmp) / f"fold{fold}", kept, "bioasq", base) as engine:
                for t in choices:
                    engine.settings = settings[t]
                    answers[t].extend((q, engine.ask(q["body"])) for q in asked)
        for t in choices:
            rows[t].update({f"answerability_{k}": round(v, 4)
                            for k, v in answerability_metrics(answers[t]).items()})
            print(json.dumps(rows[t]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
