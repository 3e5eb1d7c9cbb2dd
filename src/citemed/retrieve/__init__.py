"""Retrieval: query analysis, ranked documents, and the best sentences inside each.

Ranking, in order:
1. BM25 over documents (title counted twice) with the query expanded from the library's own
   abbreviations and British/American spellings (citemed.retrieve.query).
2. When the dense index is on, the cosine similarity of MiniLM embeddings is added to the BM25
   score normalised by the query's best BM25 score (a blend chosen over reciprocal-rank fusion
   on PubMedQA train_dev and SciFact train, see docs/notes/issue-6.md).
3. Small priors (evidence kind, recency, audience) reorder the best candidates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from citemed.errors import InputError
from citemed.model import Audience, Document, Hit, SentenceHit
from citemed.retrieve.priors import prior_scores
from citemed.retrieve.query import Query, analyze
from citemed.text import tokenize

if TYPE_CHECKING:
    from citemed.library import Library
    from citemed.library.lexical import LexicalIndex

DENSE_WEIGHT = 2.0  # blend weight chosen on PubMedQA train_dev and SciFact train (1.5-2 best)
CANDIDATES = 100  # priors reorder this many best-matching documents

__all__ = ["Query", "analyze", "best_sentences", "coverage", "search"]


def search(
    library: Library,
    question: str,
    *,
    k: int = 10,
    audience: Audience = "clinician",
    sentences_per_hit: int = 3,
) -> list[Hit]:
    if not question or not question.strip():
        raise InputError("the question is empty")
    from citemed.retrieve.dense import dense_index

    index = library.lexical
    query = analyze(question, vocab=index.vocab, abbreviations=index.abbreviations)
    bm25 = index.scores(query.terms)
    if not len(bm25):
        return []
    best = float(bm25.max())
    relevance = bm25 / best if best > 0 else np.zeros_like(bm25)
    dense = dense_index(library)
    cosine = None
    if dense is not None and dense.doc_ids == index.doc_ids:
        cosine = dense.scores(question)
        relevance = relevance + DENSE_WEIGHT * np.clip(cosine, 0.0, None)
    candidates = _top_k(relevance, max(k, CANDIDATES))
    if not candidates:
        return []
    rows = np.asarray(candidates)
    final = relevance[rows] + prior_scores(index.kinds, index.years, rows, audience=audience,
                                           settings=library.settings)
    order = rows[np.argsort(-final, kind="stable")][:k]
    final_by_row = dict(zip(rows.tolist(), final.tolist(), strict=True))
    docs = {d.id: d for d in library.documents([index.doc_ids[i] for i in order])}
    covered = coverage_rows(index, query, order.tolist())
    hits: list[Hit] = []
    for i, row in enumerate(order.tolist()):
        doc = docs.get(index.doc_ids[row])
        if doc is None:
            continue
        signals = {"bm25": float(bm25[row]), "relevance": float(relevance[row]),
                   "prior": float(final_by_row[row] - relevance[row]),
                   "coverage": float(covered[i])}
        if cosine is not None:
            signals["dense"] = float(cosine[row])
        hit = Hit(document=doc, score=float(final_by_row[row]), rank=len(hits) + 1,
                  signals=signals)
        hit.sentences = best_sentences(doc, query, index.idf, limit=sentences_per_hit)
        hits.append(hit)
    return hits


def _top_k(scores: np.ndarray, k: int) -> list[int]:
    positive = np.flatnonzero(scores > 0)
    if len(positive) == 0:
        return []
    k = min(k, len(positive))
    part = positive[np.argpartition(-scores[positive], k - 1)[:k]]
    return sorted(part.tolist(), key=lambda i: -scores[i])


def coverage_rows(index: LexicalIndex, query: Query, rows: list[int]) -> np.ndarray:
    """Coverage (see `coverage`) of several indexed documents at once, from the index."""
    groups = query.groups(compounds=False)
    terms = [t for variants in groups.values() for t in variants]
    present = index.presence(rows, terms)
    col = {t: j for j, t in enumerate(terms)}
    weights = np.asarray([index.idf(root) for root in groups], dtype=np.float32)
    if not len(rows) or weights.sum() <= 0:
        return np.zeros(len(rows), dtype=np.float32)
    has = np.stack([present[:, [col[t] for t in variants]].any(axis=1)
                    for variants in groups.values()], axis=1)
    return (has @ weights) / weights.sum()


def coverage(doc: Document, query: Query, idf) -> float:
    """Share of the query's idf mass that the document contains: 1.0 means every term.

    A question term counts as present when the document holds it or one of its expansions
    (an abbreviation's long form, the other spelling); it weighs its own idf either way.
    """
    tokens = set(tokenize(doc.title))
    for section in doc.sections:
        tokens.update(tokenize(section.text))
    groups = query.groups(compounds=False)
    total = sum(idf(root) for root in groups)
    if total <= 0:
        return 0.0
    return sum(idf(root) for root, variants in groups.items()
               if any(t in tokens for t in variants)) / total


def best_sentences(doc: Document, query: Query, idf, *, limit: int = 3) -> list[SentenceHit]:
    """Score each sentence by the idf mass of the question terms it contains (any variant)."""
    groups = [(idf(root), variants, max(query.terms[t] for t in variants))
              for root, variants in query.groups().items()]
    scored: list[SentenceHit] = []
    for sid, section, sentence in doc.iter_sentences():
        tokens = set(tokenize(sentence.text))
        score = sum(weight * count for weight, variants, count in groups
                    if any(t in tokens for t in variants))
        if score > 0:
            scored.append(SentenceHit(sid, section.label, sentence.text, sentence.start,
                                      sentence.end, score))
    scored.sort(key=lambda s: -s.score)
    return scored[:limit]
