"""The chunked, array-based BM25 segments give the plain per-document computation (scores
within half a quantisation step of the stored weights)."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from citemed.library import lexical_build, lexical_counts
from citemed.library.lexical import LexicalIndex, weight_step
from citemed.library.lexical_counts import TERMS_WEIGHT, TITLE_WEIGHT
from citemed.model import Document, Kind
from citemed.sources.base import make_section
from citemed.text import tokenize
from tests.conftest import fixture_documents


def _documents() -> list[Document]:
    repeated = "Flu symptoms include fever, cough and muscle aches."
    extra = [
        Document(id="fixture:repeat", collection="fixture", kind=Kind.CONSUMER,
                 title="Flu in children", source="Fixture Health Site", year=None,
                 terms=["influenza", "flu"],
                 sections=[make_section("Symptoms", f"{repeated} {repeated} Children tire.")]),
        Document(id="fixture:empty", collection="fixture", kind=Kind.OTHER,
                 title="A title only", source="Fixture", year=2001, sections=[]),
    ]
    return fixture_documents() + extra


def _plain_bm25(docs: list[Document], k1: float = 1.2, b: float = 0.75):
    """The index written the obvious way: a Counter per document, sets per sentence."""
    vocab: dict[str, int] = {}
    counters: list[Counter[str]] = []
    sentences: list[set[int]] = []
    for doc in docs:
        tokens = tokenize(doc.title) * TITLE_WEIGHT
        tokens += tokenize(" ; ".join(doc.terms)) * TERMS_WEIGHT
        for _sid, _section, sentence in doc.iter_sentences():
            words = tokenize(sentence.text)
            tokens += words
            sentences.append({vocab.setdefault(w, len(vocab)) for w in words})
        counters.append(Counter(tokens))
        for term in counters[-1]:
            vocab.setdefault(term, len(vocab))
    lengths = [sum(c.values()) for c in counters]
    avgdl = sum(lengths) / len(lengths)
    doc_freq = Counter(term for c in counters for term in c)
    weights = np.zeros((len(docs), len(vocab)))
    for row, counts in enumerate(counters):
        for term, tf in counts.items():
            df = doc_freq[term]
            idf = math.log(1.0 + (len(docs) - df + 0.5) / (df + 0.5))
            norm = k1 * (1.0 - b + b * lengths[row] / avgdl)
            weights[row, vocab[term]] = idf * tf * (k1 + 1.0) / (tf + norm)
    presence = np.zeros((len(sentences), len(vocab)), dtype=bool)
    for row, cols in enumerate(sentences):
        presence[row, sorted(cols)] = True
    return vocab, weights, presence


def _step_error(index: LexicalIndex, query: dict[str, float]) -> float:
    """The most the stored weights' quantisation may move a score for `query`: half a step per
    term, times its idf and query weight (float32 rounding on top)."""
    return sum(0.5 * weight_step(index.k1) * index.idf(t) * w for t, w in query.items()) + 1e-6


@pytest.mark.parametrize("chunk, memo, segment_rows", [(2, 3, 4), (4096, 50_000, 250_000)])
def test_build_matches_the_plain_computation(tmp_path, monkeypatch, chunk, memo, segment_rows):
    # Tiny chunks, memo and segments force several flushes, memo clears and segments.
    monkeypatch.setattr(lexical_counts.Counts, "CHUNK", chunk)
    monkeypatch.setattr(lexical_counts.Counts, "SENTENCE_MEMO", memo)
    docs = _documents()
    index = lexical_build.build(tmp_path / "lexical", docs, version="v",
                                segment_rows=segment_rows)
    assert len(index.segments) == (2 if segment_rows == 4 else 1)
    vocab, weights, presence = _plain_bm25(docs)
    assert set(vocab) == {term for term in vocab if term in index.vocab}
    for term, col in vocab.items():
        np.testing.assert_allclose(index.scores({term: 1.0}), weights[:, col], rtol=0,
                                   atol=_step_error(index, {term: 1.0}))
        assert index.presence(list(range(len(docs))), [term])[:, 0].tolist() == \
            (weights[:, col] > 0).tolist()
    terms = list(vocab)
    sentences = np.concatenate([index.sentence_presence(row, terms) for row in range(len(docs))])
    assert np.array_equal(sentences, presence[:, [vocab[t] for t in terms]])
    per_doc = [sum(len(section.sentences) for section in doc.sections) for doc in docs]
    assert per_doc[-1] == 0 and presence.shape[0] == sum(per_doc)
    assert list(index.doc_ids) == [doc.id for doc in docs]
    assert index.years.tolist() == [2020, 2020, 2017, 0, 0, 2001]
    assert list(index.kinds) == [str(doc.kind) for doc in docs]
    query = {t: 1.0 for t in tokenize("flu fever in children, aromatase joint pain")}
    expected = weights[:, [vocab[t] for t in query]].sum(axis=1)
    np.testing.assert_allclose(index.scores(query), expected, rtol=0,
                               atol=_step_error(index, query))
    n, df = len(docs), sum(weights[:, vocab["flu"]] > 0)
    assert index.idf("flu") == pytest.approx(math.log(1 + (n - df + 0.5) / (df + 0.5)))
    assert "zebrafish" not in index.vocab and index.idf("zebrafish") == pytest.approx(
        math.log(1 + (n + 0.5) / 0.5))


def test_term_frequencies_beyond_uint16_keep_their_value(tmp_path):
    docs = [Document(id=f"t:{n}", collection="t", kind=Kind.OTHER, title="Flu", source="t",
                     sections=[make_section("Body", "flu " * count + "cough.")])
            for n, count in enumerate([70_000, 3])]
    index = lexical_build.build(tmp_path / "lexical", docs, version="v")
    assert index.segments[0].tfs.dtype == np.float32
    vocab, weights, _presence = _plain_bm25(docs)
    np.testing.assert_allclose(index.scores({"flu": 1.0}), weights[:, vocab["flu"]], rtol=0,
                               atol=_step_error(index, {"flu": 1.0}))
    small = lexical_build.build(tmp_path / "small", docs[1:], version="v")
    assert small.segments[0].tfs.dtype == np.uint16
