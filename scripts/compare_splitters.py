"""Compare citemed.text.split_sentences with pysbd and syntok on a hand-labelled fixture.

    python scripts/compare_splitters.py [tests/fixtures/text/sentence_splits.jsonl]

Prints, per splitter: texts split exactly right, and sentence-boundary precision/recall/F1
(a boundary is the character offset where a gold sentence ends, whitespace ignored).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from citemed.text import split_sentences

FIXTURE = Path(__file__).parents[1] / "tests" / "fixtures" / "text" / "sentence_splits.jsonl"


def ends(text: str, sentences: list[str]) -> set[int]:
    """End offsets of the sentences found in `text`, in order (the last one excluded)."""
    found, position = [], 0
    for sentence in sentences:
        start = text.find(sentence.strip(), position)
        if start < 0:
            raise ValueError(f"sentence not in text: {sentence!r}")
        position = start + len(sentence.strip())
        found.append(position)
    return set(found[:-1])


def citemed(text: str) -> list[str]:
    return [s.text for s in split_sentences(text)]


def pysbd_splitter() -> Callable[[str], list[str]]:
    import pysbd

    segmenter = pysbd.Segmenter(language="en", clean=False, char_span=False)
    return lambda text: [s for s in segmenter.segment(text) if s.strip()]


def syntok_splitter() -> Callable[[str], list[str]]:
    from syntok import segmenter

    def split(text: str) -> list[str]:
        out = []
        for paragraph in segmenter.analyze(text):
            for sentence in paragraph:
                start, end = sentence[0].offset, sentence[-1].offset + len(sentence[-1].value)
                out.append(text[start:end])
        return out

    return split


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else FIXTURE
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    for name, split in [("citemed", citemed), ("pysbd", pysbd_splitter()),
                        ("syntok", syntok_splitter())]:
        exact = tp = fp = fn = 0
        started = time.perf_counter()
        for item in items:
            got = split(item["text"])
            gold, found = ends(item["text"], item["sentences"]), ends(item["text"], got)
            exact += [s.strip() for s in got] == item["sentences"]
            tp, fp, fn = tp + len(gold & found), fp + len(found - gold), fn + len(gold - found)
        precision, recall = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
        f1 = 2 * precision * recall / max(precision + recall, 1e-9)
        print(f"{name:8} exact {exact}/{len(items)}  boundary P {precision:.2f} R {recall:.2f} "
              f"F1 {f1:.2f}  ({(time.perf_counter() - started) * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
