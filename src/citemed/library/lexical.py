"""Lexical BM25 index over documents, as a precomputed sparse matrix, plus sentence terms.

Each (document, term) cell holds that term's full BM25 contribution, so scoring a query is one
sparse column sum: a few milliseconds over the whole demo library. A second, boolean matrix
records which terms each sentence holds, so the best sentences of a hit are picked without
re-tokenizing its text at query time (that was most of the search time on long guidelines).
The index is derived from the store and saved beside it (atomic rename), stamped with the
library version it reflects.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse

from citemed.model import Document
from citemed.retrieve.abbreviations import mine as mine_abbreviations
from citemed.text import tokenize

TITLE_WEIGHT = 2  # title tokens count twice: titles state what an abstract is about
# Index terms (MeSH headings, a consumer page's focus and its synonyms) count like the title:
# curated words for what the document is about. On PubMedQA train_dev this lifted Recall@1 from
# 0.964 to 0.980 (docs/notes/issue-6.md).
TERMS_WEIGHT = 2
# Bumped whenever what is indexed changes, so indexes written by an older CiteMed are rebuilt.
INDEX_FORMAT = 2


@dataclass
class LexicalIndex:
    doc_ids: list[str]
    vocab: dict[str, int]
    matrix: sparse.csc_matrix  # docs x terms, BM25 contributions
    doc_freq: np.ndarray
    version: str = ""
    k1: float = 1.2
    b: float = 0.75
    # Short form -> stemmed long-form terms, mined from this library's own text.
    abbreviations: dict[str, list[str]] = field(default_factory=dict)
    # Per-document kind and year (0 = unknown), so priors need no document loads.
    kinds: list[str] = field(default_factory=list)
    years: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int16))
    # Sentences (in Document.iter_sentences order) x terms, and each document's first sentence.
    sentence_terms: sparse.csr_matrix = field(
        default_factory=lambda: sparse.csr_matrix((0, 0), dtype=bool))
    sentence_start: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))

    def __post_init__(self) -> None:
        # Row ids sorted within each column, so `presence` can binary-search a posting list.
        self.matrix.sort_indices()

    @classmethod
    def build(
        cls, docs: Iterable[Document], *, version: str = "", k1: float = 1.2, b: float = 0.75
    ) -> LexicalIndex:
        texts: list[str] = []
        kinds: list[str] = []
        years: list[int] = []
        doc_ids: list[str] = []
        vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        tfs: list[int] = []
        lengths: list[int] = []
        sentence_cols: list[int] = []
        sentence_ptr: list[int] = [0]
        sentence_start: list[int] = [0]
        for row, doc in enumerate(docs):
            tokens = tokenize(doc.title) * TITLE_WEIGHT
            tokens.extend(tokenize(" ; ".join(doc.terms)) * TERMS_WEIGHT)
            for _sid, _section, sentence in doc.iter_sentences():
                words = tokenize(sentence.text)
                tokens.extend(words)
                sentence_cols.extend(sorted({vocab.setdefault(w, len(vocab)) for w in words}))
                sentence_ptr.append(len(sentence_cols))
            sentence_start.append(len(sentence_ptr) - 1)
            texts.extend(section.text for section in doc.sections)
            doc_ids.append(doc.id)
            kinds.append(str(doc.kind))
            years.append(doc.year or 0)
            lengths.append(len(tokens))
            for term, tf in Counter(tokens).items():
                col = vocab.setdefault(term, len(vocab))
                rows.append(row)
                cols.append(col)
                tfs.append(tf)
        n_docs = len(doc_ids)
        row_arr = np.asarray(rows, dtype=np.int32)
        col_arr = np.asarray(cols, dtype=np.int32)
        tf_arr = np.asarray(tfs, dtype=np.float32)
        doc_freq = np.bincount(col_arr, minlength=len(vocab)).astype(np.float32)
        length_arr = np.asarray(lengths, dtype=np.float32)
        avgdl = float(length_arr.mean()) if n_docs else 1.0
        idf = np.log(1.0 + (n_docs - doc_freq + 0.5) / (doc_freq + 0.5)).astype(np.float32)
        norm = k1 * (1.0 - b + b * length_arr[row_arr] / max(avgdl, 1e-9))
        weights = idf[col_arr] * tf_arr * (k1 + 1.0) / (tf_arr + norm)
        matrix = sparse.csc_matrix(
            (weights.astype(np.float32), (row_arr, col_arr)), shape=(n_docs, len(vocab))
        )
        sentence_terms = sparse.csr_matrix(
            (np.ones(len(sentence_cols), dtype=bool), np.asarray(sentence_cols, dtype=np.int32),
             np.asarray(sentence_ptr, dtype=np.int64)),
            shape=(len(sentence_ptr) - 1, len(vocab)),
        )
        abbreviations = {short: terms for short, terms in mine_abbreviations(texts).items()
                         if all(t in vocab for t in terms)}
        return cls(doc_ids, vocab, matrix, doc_freq, version, k1, b, abbreviations, kinds,
                   np.asarray(years, dtype=np.int16), sentence_terms,
                   np.asarray(sentence_start, dtype=np.int64))

    def query_vector(self, weighted_terms: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
        cols, weights = [], []
        for term, weight in weighted_terms.items():
            col = self.vocab.get(term)
            if col is not None:
                cols.append(col)
                weights.append(weight)
        return np.asarray(cols, dtype=np.int64), np.asarray(weights, dtype=np.float32)

    def scores(self, weighted_terms: dict[str, float]) -> np.ndarray:
        """BM25 score of every document for a bag of (stemmed term -> query weight)."""
        cols, weights = self.query_vector(weighted_terms)
        if len(cols) == 0:
            return np.zeros(len(self.doc_ids), dtype=np.float32)
        return np.asarray(self.matrix[:, cols] @ weights).ravel()

    def presence(self, rows: list[int], terms: list[str]) -> np.ndarray:
        """Boolean (len(rows) x len(terms)): does each document contain each term."""
        out = np.zeros((len(rows), len(terms)), dtype=bool)
        indptr, indices = self.matrix.indptr, self.matrix.indices
        wanted = np.asarray(rows)
        for j, term in enumerate(terms):
            col = self.vocab.get(term)
            if col is not None and len(wanted):
                docs = indices[indptr[col]:indptr[col + 1]]  # sorted: see __post_init__
                at = np.minimum(np.searchsorted(docs, wanted), max(len(docs) - 1, 0))
                out[:, j] = docs[at] == wanted if len(docs) else False
        return out

    def sentence_presence(self, row: int, terms: list[str]) -> np.ndarray:
        """Boolean (sentences of document `row` x len(terms)), sentences in reading order."""
        first, last = int(self.sentence_start[row]), int(self.sentence_start[row + 1])
        out = np.zeros((last - first, len(terms)), dtype=bool)
        # Raw CSR arrays: scipy's slicing costs more than the work for one document.
        indptr = self.sentence_terms.indptr[first:last + 1]
        cols = self.sentence_terms.indices[indptr[0]:indptr[-1]]
        sentence_of = np.repeat(np.arange(last - first), np.diff(indptr))
        for j, term in enumerate(terms):
            col = self.vocab.get(term)
            if col is not None:
                out[sentence_of[cols == col], j] = True
        return out

    def idf(self, term: str) -> float:
        col = self.vocab.get(term)
        n = len(self.doc_ids)
        df = float(self.doc_freq[col]) if col is not None else 0.0
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    # ------------------------------------------------------------------ persistence

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / "lexical.tmp.npz"
        np.savez(
            tmp,
            data=self.matrix.data, indices=self.matrix.indices, indptr=self.matrix.indptr,
            shape=np.asarray(self.matrix.shape), doc_freq=self.doc_freq, years=self.years,
            sentence_indices=self.sentence_terms.indices,
            sentence_indptr=self.sentence_terms.indptr, sentence_start=self.sentence_start,
        )
        meta_tmp = folder / "lexical.tmp.json"
        meta_tmp.write_text(json.dumps({
            "doc_ids": self.doc_ids, "vocab": self.vocab, "version": self.version,
            "k1": self.k1, "b": self.b, "abbreviations": self.abbreviations, "kinds": self.kinds,
            "format": INDEX_FORMAT,
        }))
        os.replace(tmp, folder / "lexical.npz")
        os.replace(meta_tmp, folder / "lexical.json")

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex | None:
        if not (folder / "lexical.npz").exists() or not (folder / "lexical.json").exists():
            return None
        meta = json.loads((folder / "lexical.json").read_text())
        arrays = np.load(folder / "lexical.npz")
        if meta.get("format") != INDEX_FORMAT:
            return None  # written by another CiteMed version: rebuild
        shape = tuple(arrays["shape"])
        matrix = sparse.csc_matrix((arrays["data"], arrays["indices"], arrays["indptr"]),
                                   shape=shape)
        indices = arrays["sentence_indices"]
        indptr = arrays["sentence_indptr"]
        sentence_terms = sparse.csr_matrix(
            (np.ones(len(indices), dtype=bool), indices, indptr),
            shape=(len(indptr) - 1, shape[1]))
        return cls(meta["doc_ids"], meta["vocab"], matrix, arrays["doc_freq"], meta["version"],
                   meta["k1"], meta["b"], meta["abbreviations"], meta["kinds"], arrays["years"],
                   sentence_terms, arrays["sentence_start"])
