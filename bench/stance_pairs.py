"""How well the sentence reader's stance separates "yes" from "no" evidence, pair by pair.

    python bench/stance_pairs.py --data ../shared/data [--reader WEIGHTS]

Reads the reader's development pairs (training data held out by question: BioASQ 1B-6B,
PubMedQA train_dev, ...) that carry a yes/no stance. Per source, one JSON line: the ROC AUC of
the lean P(yes) - P(no) for gold "yes" against gold "no", and the same with the question
negated ("Is X ...?" -> "Is not X ...?") and its lean subtracted at several weights, a
debiasing that cancels a lean the reader gives whatever the question asks. Never run it on a
test split.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

from citemed.readers import WEIGHTS_DIR, EvidenceReader
from citemed.readers.data import training_pairs

_AUXILIARY = re.compile(r"^(is|are|was|were|does|do|did|can|could|should|will|would|has|have|"
                        r"had|may|might|must)\b\s*", re.I)
NEGATION_WEIGHTS = (0.0, 0.25, 0.5, 1.0)


def negated(question: str) -> str | None:
    match = _AUXILIARY.match(question)
    return f"{question[:match.end()].rstrip()} not {question[match.end():]}" if match else None


def auc(scores: list[float], positive: list[bool]) -> float | None:
    pos = [s for s, p in zip(scores, positive, strict=True) if p]
    neg = [s for s, p in zip(scores, positive, strict=True) if not p]
    if not pos or not neg:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return round(wins / (len(pos) * len(neg)), 3)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--reader", type=Path, default=WEIGHTS_DIR)
    args = parser.parse_args()
    reader = EvidenceReader.shared(args.reader)
    rows: dict[str, list[tuple[bool, float, float]]] = defaultdict(list)
    for pair in training_pairs(args.data):
        if not (pair.dev and pair.relevant and pair.stance in ("yes", "no")):
            continue
        flipped = negated(pair.query)
        if flipped is None:
            continue
        plain = reader.read(pair.query, [pair.passage])[0].lean
        negative = reader.read(flipped, [pair.passage])[0].lean
        rows[pair.source].append((pair.stance == "yes", plain, negative))
    for source, items in sorted(rows.items()):
        gold = [yes for yes, _, _ in items]
        print(json.dumps({
            "source": source, "pairs": len(items), "gold_no": gold.count(False),
            "mean_lean_yes": round(sum(p for y, p, _ in items if y) / max(1, gold.count(True)), 3),
            "mean_lean_no": round(sum(p for y, p, _ in items if not y)
                                  / max(1, gold.count(False)), 3),
            **{f"auc_negation_{w}": auc([p - w * n for _, p, n in items], gold)
               for w in NEGATION_WEIGHTS}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
