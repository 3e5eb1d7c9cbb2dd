"""Median Flesch-Kincaid grade of the direct answer, patient vs clinician, over PubMedQA questions.

    python bench/web_reading_grade.py --library DIR [--split test|train_dev] [--limit N]

Per audience: the whole direct answer as shown (for patients the plain verdict lead, e.g.
"Probably yes.", plus the evidence statement), the evidence statement alone, the bullets (grade
and words per bullet), and how many statements pass the mechanical traceability check (the
recorded substitutions undone, the text must lie inside a cited quote); for patients also how
many answers explain short forms from the cited documents' definitions.

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

from citemed.audience.readability import flesch_kincaid_grade, words  # noqa: E402
from citemed.engine import Engine  # noqa: E402
from citemed.eval.answers import traceability  # noqa: E402
from citemed.settings import Settings  # noqa: E402


def spread(values: list[float]) -> dict[str, float]:
    quartiles = statistics.quantiles(values, n=4)
    return {"median": statistics.median(values), "p25": round(quartiles[0], 1),
            "p75": round(quartiles[2], 1),
            "share_at_or_below_8": round(sum(v <= 8 for v in values) / len(values), 3)}


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
        whole: list[float] = []
        evidence: list[float] = []
        bullet_grades: list[float] = []
        bullet_words: list[int] = []
        abstained = reworded = led = traceable = statements = glossed = 0
        for question in asked:
            answer = engine.ask(question, audience=audience)  # type: ignore[arg-type]
            if answer.abstained or answer.reading_grade is None:
                abstained += 1
                continue
            whole.append(answer.reading_grade)
            evidence.append(flesch_kincaid_grade(answer.direct_answer.text) or 0.0)
            reworded += bool(answer.direct_answer.substitutions)
            led += bool(answer.direct_answer.lead)
            glossed += bool(answer.abbreviations)
            for bullet in answer.all_bullets():
                grade = flesch_kincaid_grade(bullet.text)
                if grade is not None:
                    bullet_grades.append(grade)
                    bullet_words.append(len(words(bullet.text)))
            ok, total = traceability(answer)
            traceable += ok
            statements += total
        common = {"split": f"pubmedqa-{args.split}", "questions": len(asked),
                  "answered": len(whole), "abstained": abstained, "corpus_documents": documents}
        emit(f"reading_grade_direct_answer_{audience}", statistics.median(whole), "FK grade",
             **spread(whole), direct_answers_reworded=reworded, with_plain_lead=led,
             with_short_forms_explained=glossed, **common)
        emit(f"reading_grade_evidence_only_{audience}", statistics.median(evidence), "FK grade",
             **spread(evidence), **common)
        emit(f"reading_grade_bullets_{audience}", statistics.median(bullet_grades), "FK grade",
             **spread(bullet_grades), bullets=len(bullet_grades),
             median_words_per_bullet=statistics.median(bullet_words), **common)
        emit(f"traceable_statements_{audience}", traceable, "statements", of=statements,
             **common)


if __name__ == "__main__":
    main()
