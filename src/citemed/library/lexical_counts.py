"""Term counts of documents for the lexical index: tokens in, compact CSR-style arrays out.

`Counts` gathers the documents of one segment: per document its term frequencies (title and
index terms weighted), per sentence its distinct terms, and the "long form (SHORT)" pairs it
defines. Term ids come from the caller (the writer's global term table).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable

import numpy as np

from citemed.errors import LibraryError
from citemed.library.abbreviations import find_pairs, short_keys
from citemed.library.lexical import KIND_NAMES
from citemed.model import Document
from citemed.text import map_tokens, token_stems

TITLE_WEIGHT = 2  # title tokens count twice: titles state what an abstract is about
# Index terms (MeSH headings, a consumer page's focus and its synonyms) count like the title:
# curated words for what the document is about. On PubMedQA train_dev this lifted Recall@1 from
# 0.964 to 0.980 (docs/notes/issue-6.md).
TERMS_WEIGHT = 2


class Counts:
    """Term counts of documents and sentences, gathered as compact int32 arrays.

    Token ids go into `array` buffers (4 bytes each, not a Python int object per token) and are
    reduced with numpy every CHUNK documents: a (row << 32 | column) key sorted by np.unique
    gives each document's term frequencies and each sentence's sorted distinct terms, with no
    per-token Python work beyond looking the token up in the vocabulary.
    """

    CHUNK = 4096
    SENTENCE_MEMO = 50_000

    def __init__(self, term_id: Callable[[str], int]) -> None:
        self._term_id = term_id
        self._token_ids: dict[str, tuple[int, ...]] = {}  # raw token -> its terms' ids
        # A quarter of the demo library's sentences repeat (consumer-page boilerplate, shared
        # abstracts): each distinct one is tokenized once, within a bounded memo.
        self._sentence_ids: dict[str, array] = {}
        self.doc_ids: list[str] = []
        self.hashes: list[str] = []
        self.kinds: list[int] = []
        self.years: list[int] = []
        # (doc id, short form key, long form, first occurrence) of each abbreviation defined.
        self.pairs: list[tuple[str, str, str, str]] = []
        self.lengths = array("i")
        self.sentence_start = array("q", [0])
        self._tokens = array("i")  # term ids of the open chunk's documents, title/terms repeated
        self._doc_lengths = array("q")
        self._sentence_tokens = array("i")
        self._sentence_lengths = array("q")
        self._doc_parts: list[tuple[np.ndarray, ...]] = []
        self._sentence_parts: list[tuple[np.ndarray, ...]] = []

    def _ids(self, text: str) -> list[int]:
        """Term ids of tokenize(text), each distinct raw token stemmed and looked up once."""
        term_id = self._term_id
        return map_tokens(text, self._token_ids, lambda token: tuple(
            term_id(stem) for stem in token_stems(token)))

    def add(self, doc: Document) -> None:
        try:
            kind = KIND_NAMES.index(str(doc.kind))
        except ValueError:
            raise LibraryError(f"document {doc.id}: unknown kind {doc.kind!r}") from None
        start = len(self._tokens)
        n_sentences = 0
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
        self.hashes.append(doc.content_hash())
        self.kinds.append(kind)
        self.years.append(doc.year or 0)
        self._add_pairs(doc)
        if len(self._doc_lengths) >= self.CHUNK:
            self._flush()

    def _add_pairs(self, doc: Document) -> None:
        position = 0
        for section in doc.sections:
            if "(" not in section.text:
                continue
            for short, long_form in find_pairs(section.text):
                for key in short_keys(short):
                    # \x01 sorts below every id character: (id, position) order as text.
                    self.pairs.append((doc.id, key, long_form, f"{doc.id}\x01{position:09d}"))
                    position += 1

    def _flush(self) -> None:
        if not len(self._doc_lengths):
            return
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
