"""Median Flesch-Kincaid grade of the direct answer, patient vs clinician, over PubMedQA questions.

    python bench/web_reading_grade.py --library DIR [--split test|train_dev] [--limit N]

Measures only; nothing here feeds back into the vocabulary or rules (the test split is
evaluation data: develop on train_dev).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from web_common import emit, pubmedqa_questions  # noqa: E402

from citemed.engine import Engine  # noqa: E402
from citemed.settings import Settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--library", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--split", choices=["test", "train_dev"], default="test")
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args()
    engine = Engine(Settings(library=args.library))
    asked = pubmedqa_questions(args.data, args.split)
    if args.limit:
        asked = asked[:args.limit]
    documents = len(engine.library.store)
    for audience in ("clinician", "patient"):
        grades: list[float] = []
        abstained = substituted = 0
        for question in asked:
            answer = engine.ask(question, audience=audience)  # type: ignore[arg-type]
            if answer.abstained or answer.reading_grade is None:
                abstained += 1
                continue
            grades.append(answer.reading_grade)
            substituted += bool(answer.direct_answer.substitutions)
        emit(f"reading_grade_median_{audience}", statistics.median(grades), "FK grade",
             split=f"pubmedqa-{args.split}", questions=len(asked), answered=len(grades),
             abstained=abstained, share_at_or_below_8=round(sum(g <= 8 for g in grades)
                                                            / len(grades), 3),
             p25=statistics.quantiles(grades, n=4)[0], p75=statistics.quantiles(grades, n=4)[2],
             direct_answers_reworded=substituted, corpus_documents=documents)


if __name__ == "__main__":
    main()
