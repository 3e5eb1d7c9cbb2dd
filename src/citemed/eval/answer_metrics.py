"""Answer metrics: verdict accuracy and macro-F1, ROUGE-2 and ROUGE-SU4, traceability."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

from citemed.model import Answer, Bullet, DirectAnswer, extracted_text


def accuracy(gold: list[str], predicted: list[str]) -> float:
    return sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold) if gold else 0.0


def macro_f1(gold: list[str], predicted: list[str], classes: Iterable[str] | None = None) -> float:
    """Mean per-class F1 over the gold classes (or the classes given); a class never predicted
    correctly scores 0."""
    from sklearn.metrics import f1_score

    labels = sorted(set(classes or gold))
    if not labels:
        return math.nan
    return float(f1_score(gold, predicted, labels=labels, average="macro", zero_division=0))


def _rouge_tokens(text: str) -> list[str]:
    from rouge_score.tokenizers import DefaultTokenizer

    return DefaultTokenizer(use_stemmer=True).tokenize(text)


def _f1(candidate: Counter[tuple[str, ...]], reference: Counter[tuple[str, ...]]) -> float:
    overlap = sum((candidate & reference).values())
    if not overlap:
        return 0.0
    precision = overlap / sum(candidate.values())
    recall = overlap / sum(reference.values())
    return 2 * precision * recall / (precision + recall)


def rouge_su4(candidate: str, reference: str) -> float:
    """ROUGE-SU4 F1: unigrams plus skip-bigrams with at most 4 words between the pair."""
    def units(tokens: list[str]) -> Counter[tuple[str, ...]]:
        grams: Counter[tuple[str, ...]] = Counter((t,) for t in tokens)
        for i, first in enumerate(tokens):
            for second in tokens[i + 1:i + 6]:
                grams[(first, second)] += 1
        return grams

    return _f1(units(_rouge_tokens(candidate)), units(_rouge_tokens(reference)))


def rouge_2(candidate: str, reference: str) -> float:
    from rouge_score.rouge_scorer import RougeScorer

    return RougeScorer(["rouge2"], use_stemmer=True).score(reference, candidate)["rouge2"].fmeasure


def traceability(answer: Answer) -> tuple[int, int]:
    """(traceable statements, statements): direct answer and every bullet of a non-abstention."""
    if answer.abstained:
        return 0, 0
    quotes = {q.sentence_id: q.text for r in answer.references for q in r.quotes}
    numbers = {r.number for r in answer.references}
    cited = set(answer.direct_answer.citations)
    ok = total = 0
    statements: list[DirectAnswer | Bullet] = [answer.direct_answer, *answer.all_bullets()]
    for statement in statements:
        total += 1
        cited.update(statement.citations)
        resolves = bool(statement.citations) and set(statement.citations) <= numbers
        spans = [quotes.get(sid, "") for sid in statement.sentence_ids]
        text = extracted_text(statement.text, statement.substitutions)
        if resolves and any(text and text in s for s in spans):
            ok += 1
    # A reference nobody cites makes the whole page untraceable.
    return (ok, total) if cited == numbers else (0, total)
