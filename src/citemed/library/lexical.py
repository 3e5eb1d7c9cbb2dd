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
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse

from citemed.library.abbreviations import mine as mine_abbreviations
from citemed.model import Document
from citemed.text import map_tokens, token_stems

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
        counts = _Counts()

        def section_texts() -> Iterator[str]:
            # Abbreviations are mined from the same single pass over the documents, so no
            # list of every section's text is held (hundreds of MiB at 100k documents).
            for doc in docs:
                counts.add(doc)
                yield from (section.text for section in doc.sections)

        mined = mine_abbreviations(section_texts())
        vocab = counts.vocab
        abbreviations = {short: terms for short, terms in mined.items()
                         if all(t in vocab for t in terms)}
        doc_ptr, col_arr, tf_arr = counts.documents_csr()
        n_docs = len(counts.doc_ids)
        doc_freq = np.bincount(col_arr, minlength=len(vocab)).astype(np.float32)
        length_arr = np.asarray(counts.lengths, dtype=np.float32)
        avgdl = float(length_arr.mean()) if n_docs else 1.0
        idf = np.log(1.0 + (n_docs - doc_freq + 0.5) / (doc_freq + 0.5)).astype(np.float32)
        # BM25 weight idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / avgdl)), computed
        # in place (one cell-sized temporary, not one per operation) in float32 with the same
        # operations as always, so the weights are bit-identical to earlier builds.
        denominator = np.repeat(length_arr, np.diff(doc_ptr))
        denominator *= b
        denominator /= max(avgdl, 1e-9)
        denominator += 1.0 - b
        denominator *= k1
        denominator += tf_arr
        weights = tf_arr
        weights *= idf[col_arr]
        weights *= k1 + 1.0
        weights /= denominator
        del denominator
        matrix = sparse.csr_matrix(
            (weights, col_arr, doc_ptr), shape=(n_docs, len(vocab))).tocsc()
        del weights, col_arr
        sentence_ptr, sentence_cols = counts.sentences_csr()
        sentence_terms = sparse.csr_matrix(
            (np.ones(len(sentence_cols), dtype=bool), sentence_cols, sentence_ptr),
            shape=(len(sentence_ptr) - 1, len(vocab)),
        )
        return cls(counts.doc_ids, vocab, matrix, doc_freq, version, k1, b, abbreviations,
                   counts.kinds, np.asarray(counts.years, dtype=np.int16), sentence_terms,
                   np.asarray(counts.sentence_start, dtype=np.int64))

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


class _Counts:
    """Term counts of documents and sentences, gathered as compact int32 arrays.

    Token ids go into `array` buffers (4 bytes each, not a Python int object per token) and are
    reduced with numpy every CHUNK documents: a (row << 32 | column) key sorted by np.unique
    gives each document's term frequencies and each sentence's sorted distinct terms, with no
    per-token Python work beyond looking the token up in the vocabulary.
    """

    CHUNK = 4096
    SENTENCE_MEMO = 50_000

    def __init__(self) -> None:
        self.vocab: dict[str, int] = {}
        self._token_ids: dict[str, tuple[int, ...]] = {}  # raw token -> its terms' ids
        # A quarter of the demo library's sentences repeat (consumer-page boilerplate, shared
        # abstracts): each distinct one is tokenized once, within a bounded memo.
        self._sentence_ids: dict[str, array] = {}
        self.doc_ids: list[str] = []
        self.kinds: list[str] = []
        self.years: list[int] = []
        self.lengths = array("i")
        self.sentence_start = array("q", [0])
        self._tokens = array("i")  # term ids of the open chunk's documents, title/terms repeated
        self._doc_lengths = array("q")
        self._sentence_tokens = array("i")
        self._sentence_lengths = array("q")
        self._doc_parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._sentence_parts: list[tuple[np.ndarray, np.ndarray]] = []

    def _ids(self, text: str) -> list[int]:
        """Vocabulary ids of tokenize(text), each distinct raw token stemmed and looked up once."""
        vocab = self.vocab
        return map_tokens(text, self._token_ids, lambda token: tuple(
            vocab.setdefault(stem, len(vocab)) for stem in token_stems(token)))

    def add(self, doc: Document) -> None:
        start = len(self._tokens)
        n_sentences = 0
        # Sentence words take vocabulary ids first, then title and terms: the order ids were
        # always given in, so an index rebuilt by this code is identical to an older one.
        seen = self._sentence_ids
        for _sid, _section, sentence in doc.iter_sentences():
            ids = seen.get(sentence.text)
            if ids is None:
                if len(seen) >= self.SENTENCE_MEMO:
                    seen.clear()
                ids = seen[sentence.text] = array("i", self._ids(sentence.text))
            self._sentence_tokens.extend(ids)
            self._sentence_lengths.append(len(ids))
            self._tokens.extend(ids)
            n_sentences += 1
        self.sentence_start.append(self.sentence_start[-1] + n_sentences)
        self._tokens.extend(self._ids(doc.title) * TITLE_WEIGHT)
        self._tokens.extend(self._ids(" ; ".join(doc.terms)) * TERMS_WEIGHT)
        length = len(self._tokens) - start
        self._doc_lengths.append(length)
        self.lengths.append(length)
        self.doc_ids.append(doc.id)
        self.kinds.append(str(doc.kind))
        self.years.append(doc.year or 0)
        if len(self._doc_lengths) >= self.CHUNK:
            self._flush()

    def _flush(self) -> None:
        doc_counts, doc_cols, tfs = _distinct_pairs(self._doc_lengths, self._tokens)
        self._doc_parts.append((doc_counts, doc_cols, tfs))
        sentence_counts, sentence_cols, _ = _distinct_pairs(
            self._sentence_lengths, self._sentence_tokens)
        self._sentence_parts.append((sentence_counts, sentence_cols))
        self._tokens, self._doc_lengths = array("i"), array("q")
        self._sentence_tokens, self._sentence_lengths = array("i"), array("q")

    def documents_csr(self) -> tuple[np.ndarray, ...]:
        """Row pointers, term ids and term frequencies of the documents x terms counts."""
        self._flush()
        return _joined(self._doc_parts)

    def sentences_csr(self) -> tuple[np.ndarray, ...]:
        """Row pointers and sorted distinct term ids of the sentences x terms matrix."""
        return _joined(self._sentence_parts)


def _joined(parts: list[tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
    """Per-chunk (cells per row, column values...) joined into CSR-style arrays; `parts` is
    emptied, and each column's chunks are freed as soon as that column is joined."""
    columns = [list(column) for column in zip(*parts, strict=True)]
    parts.clear()
    per_row = np.concatenate(columns.pop(0))
    pointers = np.zeros(len(per_row) + 1, dtype=np.int64)
    np.cumsum(per_row, out=pointers[1:])
    joined = [pointers]
    while columns:
        joined.append(np.concatenate(columns.pop(0)))
    return tuple(joined)


def _distinct_pairs(lengths: array, ids: array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Owner k holds the next lengths[k] ids: (distinct ids per owner, the distinct ids sorted
    by owner then id, how often each occurs)."""
    owners = np.repeat(np.arange(len(lengths), dtype=np.int64),
                       np.frombuffer(lengths, dtype=np.int64))
    keys = (owners << 32) | np.frombuffer(ids, dtype=np.int32).astype(np.int64)
    distinct, counts = np.unique(keys, return_counts=True)
    per_owner = np.bincount(distinct >> 32, minlength=len(lengths))
    return per_owner, (distinct & 0xFFFFFFFF).astype(np.int32), counts.astype(np.float32)
