"""Retrieval: query analysis, ranked documents, and the best sentences inside each.

Ranking, in order:
1. BM25 over documents (title counted twice) with the query expanded from the library's own
   abbreviations and British/American spellings (citemed.retrieve.query).
2. When the dense index is on (the default), the cosine similarity of the question's and each
   document head's MiniLM embeddings is added to the BM25 score normalised by the query's best
   BM25 score (a blend chosen over reciprocal-rank fusion on PubMedQA train_dev and SciFact
   train, see docs/notes/issue-6.md).
3. Small priors (evidence kind, recency, audience) reorder the best candidates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from citemed.errors import InputError
from citemed.library.embed import embed_question
from citemed.model import Audience, Document, Hit, SentenceHit
from citemed.retrieve.priors import prior_scores
from citemed.retrieve.query import Query, analyze
from citemed.text import normalize, tokenize

if TYPE_CHECKING:
    from citemed.library import Library
    from citemed.library.lexical import LexicalIndex

# With approximate dense search: the graph's nearest heads and the best BM25 matches scored
# exactly, so the blend can rank the same top candidates as an exact scan (measured in
# docs/notes/issue-12.md).
ANN_POOL = 500
LEXICAL_POOL = 1000

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
    index = library.lexical
    query = analyze(question, vocab=index.vocab, abbreviations=index.abbreviations)
    bm25 = index.scores(query.terms)
    if not len(bm25):
        return []
    best = float(bm25.max())
    relevance = bm25 / best if best > 0 else np.zeros_like(bm25)
    cosine = dense_cosines(library, question, relevance)
    if cosine is not None:
        # settings.dense_weight: the middle of the flat best range 0.6-0.9 on SciFact train
        # (nDCG@10 .883-.889) and PubMedQA train_dev (Recall@1 .986-.992); lexical alone .858 /
        # .980.
        relevance = relevance + library.settings.dense_weight * np.clip(cosine, 0.0, None)
    candidates = _top_k(relevance, max(k, library.settings.prior_candidates))
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
        hit.sentences = indexed_best_sentences(index, row, doc, query, limit=sentences_per_hit)
        hits.append(hit)
    return hits


def dense_cosines(library: Library, question: str, lexical: np.ndarray) -> np.ndarray | None:
    """Head cosine of the question per lexical row, or None when the dense index is off or not
    built for this library version.

    Exact search scores every document. With the approximate graph (large libraries), only the
    union of the graph's nearest heads and the best lexical matches is scored (exactly, from
    the stored vectors); the rest count 0, so a document can rank only by one of the two.
    """
    aligned = library.dense_rows()
    if aligned is None:
        return None
    dense, to_dense, to_lexical = aligned
    query = embed_question(question, library.settings.embed_device)
    cosine = np.zeros(len(to_dense), dtype=np.float32)
    if dense.ann is None:
        scores = dense.all_scores(query)
        has = to_dense >= 0
        cosine[has] = scores[to_dense[has]]
        return cosine
    near, near_cosine = dense.nearest(query, ANN_POOL)  # already exact
    from_dense = to_lexical[near]
    found = from_dense >= 0
    cosine[from_dense[found]] = near_cosine[found]
    pool = min(LEXICAL_POOL, len(lexical))
    best_lexical = np.argpartition(-lexical, pool - 1)[:pool] if pool else np.zeros(0, int)
    rows = np.setdiff1d(best_lexical, from_dense[found])
    rows = rows[to_dense[rows] >= 0]
    cosine[rows] = dense.similarity(query, to_dense[rows])
    return cosine


TOP_BLOCK = 1024  # scores per block whose maximum bounds the k-th best (_top_k)


def _top_k(scores: np.ndarray, k: int) -> list[int]:
    """Rows of the k best positive scores, best first, equal scores in row order.

    The k-th largest block maximum is at most the k-th best score (each of those k blocks holds
    a score at least that high), so only the few scores above it are partitioned: at 1M rows
    this took 1-3 ms where partitioning every positive score took 10.
    """
    blocks = len(scores) // TOP_BLOCK
    if blocks > k:
        maxima = scores[:blocks * TOP_BLOCK].reshape(blocks, TOP_BLOCK).max(axis=1)
        floor = float(np.partition(maxima, blocks - k)[blocks - k])
        rows = np.flatnonzero(scores >= floor) if floor > 0 else np.flatnonzero(scores > 0)
    else:
        rows = np.flatnonzero(scores > 0)
    values = scores[rows]
    if len(rows) > k:
        kth = np.partition(values, len(values) - k)[len(values) - k]
        # Every score above the k-th, then the first (in row order) of those equal to it.
        above = np.flatnonzero(values > kth)
        tied = np.flatnonzero(values == kth)[:k - len(above)]
        keep = np.concatenate([above, tied])
        rows, values = rows[keep], values[keep]
    return rows[np.lexsort((rows, -values))].tolist()


def coverage_rows(index: LexicalIndex, query: Query, rows: list[int]) -> np.ndarray:
    """Coverage (see `coverage`) of several indexed documents at once, from the index."""
    groups = query.groups(compounds=False)
    weights = np.asarray([index.idf(root) for root in groups], dtype=np.float32)
    if not len(rows) or weights.sum() <= 0:
        return np.zeros(len(rows), dtype=np.float32)
    has = _groups_present(index.presence(rows, _flatten(groups)), groups)
    return (has @ weights) / weights.sum()


def _flatten(groups: dict[str, list[str]]) -> list[str]:
    return [t for variants in groups.values() for t in variants]


def _groups_present(present: np.ndarray, groups: dict[str, list[str]]) -> np.ndarray:
    """Per row, whether any variant of each group is present (columns in `_flatten` order)."""
    out = np.zeros((len(present), len(groups)), dtype=bool)
    start = 0
    for j, variants in enumerate(groups.values()):
        out[:, j] = present[:, start:start + len(variants)].any(axis=1)
        start += len(variants)
    return out


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


def indexed_best_sentences(index: LexicalIndex, row: int, doc: Document, query: Query, *,
                           limit: int = 3) -> list[SentenceHit]:
    """`best_sentences` for an indexed document, from the index's sentence terms."""
    groups = query.groups()
    present = index.sentence_presence(row, _flatten(groups))
    sentences = list(doc.iter_sentences())
    if len(sentences) != len(present) or not len(present):
        return best_sentences(doc, query, index.idf, limit=limit)
    has = _groups_present(present, groups)
    weights = np.asarray([index.idf(root) * max(query.terms[t] for t in variants)
                          for root, variants in groups.items()], dtype=np.float32)
    scores = has @ weights
    out = []
    for pos in np.argsort(-scores, kind="stable")[:limit]:
        if scores[pos] <= 0:
            break
        sid, section, sentence = sentences[pos]
        out.append(SentenceHit(sid, section.label, sentence.text, sentence.start, sentence.end,
                               float(scores[pos])))
    return out


def best_sentences(doc: Document, query: Query, idf, *, limit: int = 3) -> list[SentenceHit]:
    """Score each sentence by the idf mass of the question terms it contains (any variant)."""
    groups = [(idf(root), variants, max(query.terms[t] for t in variants))
              for root, variants in query.groups().items()]
    prefixes = surface_prefixes(query.terms)
    scored: list[SentenceHit] = []
    for sid, section, sentence in doc.iter_sentences():
        lowered = normalize(sentence.text).replace("'", "")
        if not any(p in lowered for p in prefixes):
            continue  # cannot hold any query term: skip the (slow) stemming
        tokens = set(tokenize(sentence.text))
        score = sum(weight * count for weight, variants, count in groups
                    if any(t in tokens for t in variants))
        if score > 0:
            scored.append(SentenceHit(sid, section.label, sentence.text, sentence.start,
                                      sentence.end, score))
    scored.sort(key=lambda s: -s.score)
    return scored[:limit]


def surface_prefixes(terms: dict[str, float]) -> set[str]:
    """Strings every written form of each stemmed term contains.

    A Snowball stem is the word with its ending cut or changed in the last letter ("studi" for
    "study", "diseas" for "disease"), so the stem minus its last letter is in every form; only
    "lie"/"die" become "lying"/"dying", and keep just their first letter.
    """
    return {term[:1] if len(term) <= 3 and term.endswith("ie")
            else term[:-1] if len(term) >= 3 else term for term in terms}
