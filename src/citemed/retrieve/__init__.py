"""Retrieval: query analysis, ranked documents, and the best sentences inside each."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from citemed.errors import InputError
from citemed.library import Library
from citemed.model import Audience, Document, Hit, SentenceHit
from citemed.text import tokenize


@dataclass
class Query:
    text: str
    terms: dict[str, float]


def analyze(text: str) -> Query:
    """Stemmed query terms with weights (expansions get weights below 1)."""
    terms: dict[str, float] = {}
    for token in tokenize(text):
        terms[token] = terms.get(token, 0.0) + 1.0
    return Query(text=text, terms=terms)


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
    query = analyze(question)
    index = library.lexical
    scores = index.scores(query.terms)
    if not len(scores):
        return []
    top = _top_k(scores, k)
    ids = [index.doc_ids[i] for i in top]
    docs = {d.id: d for d in library.documents(ids)}
    hits: list[Hit] = []
    for rank, i in enumerate(top, start=1):
        doc = docs.get(index.doc_ids[i])
        if doc is None:
            continue
        hit = Hit(document=doc, score=float(scores[i]), rank=rank,
                  signals={"bm25": float(scores[i]),
                           "coverage": coverage(doc, query, index.idf)})
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


def coverage(doc: Document, query: Query, idf) -> float:
    """Share of the query's idf mass that the document contains: 1.0 means every term."""
    tokens = set(tokenize(doc.title))
    for section in doc.sections:
        tokens.update(tokenize(section.text))
    total = sum(idf(t) for t in query.terms)
    if total <= 0:
        return 0.0
    return sum(idf(t) for t in query.terms if t in tokens) / total


def best_sentences(doc: Document, query: Query, idf, *, limit: int = 3) -> list[SentenceHit]:
    """Score each sentence by the idf mass of query terms it contains."""
    scored: list[SentenceHit] = []
    for sid, section, sentence in doc.iter_sentences():
        tokens = set(tokenize(sentence.text))
        score = sum(idf(t) * w for t, w in query.terms.items() if t in tokens)
        if score > 0:
            scored.append(SentenceHit(sid, section.label, sentence.text, sentence.start,
                                      sentence.end, score))
    scored.sort(key=lambda s: -s.score)
    return scored[:limit]
