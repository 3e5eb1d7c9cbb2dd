"""The evidence reader at answer time: relevance and stance of candidate sentences.

    reader = EvidenceReader.default()
    reader.read("Is HPV vaccination effective?", ["HPV vaccine | The vaccine prevented ..."])
    -> [Reading(relevance=0.93, yes=0.81, no=0.04, neutral=0.15)]

The weights (`readers/weights/`) were fine-tuned on the training splits only by
`citemed models train` (see the model card beside them). This layer depends on nothing above
`model` and `text`; compose asks it, never the other way round.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from citemed.errors import CiteMedError
from citemed.readers.data import evidence_text, passage
from citemed.readers.model import ReaderConfig, load, tokenizer

WEIGHTS_DIR = Path(__file__).with_name("weights")
# The evidence-set reader: the same network reading the question with all cited passages at once
# (`evidence_text`), trained by `citemed models train --task evidence`.
EVIDENCE_WEIGHTS_DIR = Path(__file__).with_name("evidence_weights")
BATCH = 32
CACHE_SIZE = 50_000

__all__ = ["EVIDENCE_WEIGHTS_DIR", "WEIGHTS_DIR", "EvidenceReader", "Reading", "evidence_text",
           "passage"]


@dataclass(frozen=True)
class Reading:
    """What the reader makes of one (question, passage) pair; the stance sums to 1."""

    relevance: float
    yes: float
    no: float
    neutral: float

    @property
    def lean(self) -> float:
        """-1 (says no) .. +1 (says yes); 0 for a passage that takes no side."""
        return self.yes - self.no


class EvidenceReader:
    """A loaded reader. Thread-safe: one forward pass at a time (torch uses both cores)."""

    _shared: dict[Path, EvidenceReader] = {}
    _shared_lock = threading.Lock()

    def __init__(self, folder: Path = WEIGHTS_DIR, *, threads: int = 2) -> None:
        import torch

        self.folder = folder
        self.config = ReaderConfig.load(folder)
        self.threshold = self.config.relevance_threshold
        self._torch = torch
        self._threads = threads
        self._tokenizer = tokenizer()
        self._net = load(folder)
        self._lock = threading.Lock()
        # Readings of recent (question, passage) pairs: a repeated or followed-up question, or
        # an evaluation sweeping the threshold, reads each pair once.
        self._cache: OrderedDict[tuple[str, str], Reading] = OrderedDict()

    @classmethod
    def shared(cls, folder: Path | None = None) -> EvidenceReader:
        """One reader per weights folder per process: loading costs about a second."""
        key = (folder or WEIGHTS_DIR).resolve()
        with cls._shared_lock:
            if key not in cls._shared:
                cls._shared[key] = cls(key)
            return cls._shared[key]

    def read(self, question: str, passages: list[str]) -> list[Reading]:
        if not passages:
            return []
        torch = self._torch
        with self._lock:
            out: list[Reading | None] = [self._cache.get((question, p)) for p in passages]
        # Similar lengths per batch: little padding.
        order = sorted((i for i, r in enumerate(out) if r is None), key=lambda i: len(passages[i]))
        with self._lock, torch.inference_mode():
            torch.set_num_threads(self._threads)
            for start in range(0, len(order), BATCH):
                rows = order[start:start + BATCH]
                enc = self._tokenizer([question] * len(rows), [passages[i] for i in rows],
                                      padding=True, truncation="longest_first",
                                      max_length=self.config.max_tokens, return_tensors="pt")
                rel, stance = self._net(enc["input_ids"], enc["attention_mask"],
                                        enc["token_type_ids"])
                rel_p = torch.sigmoid(rel).tolist()
                stance_p = torch.softmax(stance, -1).tolist()
                for j, i in enumerate(rows):
                    yes, no, neutral = stance_p[j]
                    out[i] = self._remember(question, passages[i],
                                            Reading(rel_p[j], yes, no, neutral))
        return [r for r in out if r is not None]

    def _remember(self, question: str, text: str, reading: Reading) -> Reading:
        self._cache[(question, text)] = reading
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return reading


def available(folder: Path | None = None) -> bool:
    """Are the reader's weights and runtime installed?"""
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return ((folder or WEIGHTS_DIR) / "reader.safetensors").exists()


def require(folder: Path | None = None) -> EvidenceReader:
    if not available(folder):
        raise CiteMedError("the evidence reader is not installed: pip install 'citemed[dense]' "
                           "and keep src/citemed/readers/weights (or set CITEMED_READER)")
    return EvidenceReader.shared(folder)


def evidence_reader(folder: Path | None = None) -> EvidenceReader | None:
    """The evidence-set reader, or None when its weights are not installed (the verdict is then
    pooled from the sentence readings alone)."""
    folder = folder or EVIDENCE_WEIGHTS_DIR
    return EvidenceReader.shared(folder) if available(folder) else None
