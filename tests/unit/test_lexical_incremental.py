"""Incremental lexical index: updates touch only what changed and equal a from-scratch build
(scores within the stored weights' drift and rounding, the same ranking)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from citemed.errors import LibraryError
from citemed.library import Library, lexical_build, lexical_counts, lexical_segments
from citemed.library.lexical import WEIGHT_DRIFT, LexicalIndex, weight_step
from citemed.model import Document, Kind
from citemed.retrieve import search
from citemed.settings import Settings
from citemed.sources.base import Deletion, make_section
from tests.conftest import fixture_documents

QUESTIONS = ["flu fever in children", "aromatase inhibitor joint pain", "AIMSS acupuncture",
             "statins cholesterol diabetes", "blood pressure guideline", "zebrafish fins"]


def _doc(number: int, title: str, body: str, kind: Kind = Kind.OBSERVATIONAL) -> Document:
    return Document(id=f"t:{number:03d}", collection="t", kind=kind, title=title,
                    year=2000 + number % 25, terms=["Statins"] if number % 3 == 0 else [],
                    sections=[make_section("ABSTRACT", body)])


def _many(start: int, count: int) -> list[Document]:
    words = ["statins", "cholesterol", "diabetes", "fever", "children", "kidney", "iron"]
    return [_doc(n, f"Study {n} of {words[n % 7]}",
                 f"We studied {words[n % 7]} and {words[(n * 3) % 7]} in {n} adults. "
                 f"Aromatase inhibitor-induced musculoskeletal symptoms (AIMSS) were rare.")
            for n in range(start, start + count)]


@pytest.fixture
def counted(monkeypatch) -> list[str]:
    """Ids of every document the lexical index tokenizes."""
    seen: list[str] = []
    add = lexical_counts.Counts.add

    def counting(self, doc: Document) -> None:
        seen.append(doc.id)
        add(self, doc)

    monkeypatch.setattr(lexical_counts.Counts, "add", counting)
    return seen


def _library(path, docs: list[Document]) -> Library:
    lib = Library(Settings(library=path, dense=False), create=True)
    lib.ingest_documents(docs, source_name="t")
    lib.refresh_indexes()
    return lib


def _scores_by_id(lib: Library) -> dict[str, dict[str, float]]:
    index = lib.lexical
    out = {}
    for question in QUESTIONS:
        query = {t: 1.0 for t in question.split()}
        scores = index.scores(query)
        out[question] = {index.doc_ids[row]: float(scores[row])
                         for row in np.flatnonzero(scores > 0)}
    return out


def _tolerance(index: LexicalIndex, question: str, score: float) -> float:
    """How far an updated index's score may be from a from-scratch build's: its weights' average
    length may lag the live one by WEIGHT_DRIFT (relative), and each index rounds every weight
    by up to half a step."""
    return WEIGHT_DRIFT * score + sum(weight_step(index.k1) * index.idf(t)
                                      for t in question.split())


def _assert_same_ranking(lib: Library, scratch: Library, question: str) -> None:
    """The same documents, in the order of the from-scratch build's scores (equal scores come
    out in row order, which differs between the two)."""
    got, want = search(lib, question, k=50), search(scratch, question, k=50)
    assert sorted(h.document.id for h in got) == sorted(h.document.id for h in want), question
    expected = {h.document.id: h.score for h in want}
    in_order = [expected[h.document.id] for h in got]
    assert in_order == sorted(in_order, reverse=True), question


def _assert_same(lib: Library, scratch: Library) -> None:
    assert _scores_by_id(lib).keys() == _scores_by_id(scratch).keys()
    for question, expected in _scores_by_id(scratch).items():
        got = _scores_by_id(lib)[question]
        assert got.keys() == expected.keys(), question
        for doc_id, score in expected.items():
            assert got[doc_id] == pytest.approx(
                score, rel=0, abs=_tolerance(scratch.lexical, question, score)), (question, doc_id)
    for question in QUESTIONS:
        _assert_same_ranking(lib, scratch, question)
    index, other = lib.lexical, scratch.lexical
    assert index.live_count == other.live_count
    assert dict(index.abbreviations) == dict(other.abbreviations)
    for term in ["statin", "fever", "aimss", "musculoskelet", "zebrafish"]:
        assert index.idf(term) == pytest.approx(other.idf(term))


def test_an_update_tokenizes_only_the_new_and_changed_documents(tmp_path, counted):
    lib = _library(tmp_path / "lib", fixture_documents() + _many(0, 40))
    assert len(counted) == 44
    counted.clear()
    lib.ingest_documents(_many(40, 5), source_name="t")
    lib.refresh_indexes()
    assert sorted(counted) == [f"t:{n:03d}" for n in range(40, 45)]
    counted.clear()
    lib.ingest_documents([Deletion("t:003", "x"), Deletion("t:004", "x")], source_name="t")
    lib.refresh_indexes()
    assert counted == []  # a deletion only tombstones
    lib.close()


def test_a_deleted_document_is_never_returned(tmp_path):
    lib = _library(tmp_path / "lib", fixture_documents() + _many(0, 20))
    assert search(lib, "flu fever cough", k=3)[0].document.id == "fixture:flu-consumer"
    lib.ingest_documents([Deletion("fixture:flu-consumer", "x")], source_name="t")
    lib.refresh_indexes()
    index = lib.lexical
    assert "fixture:flu-consumer" not in index.doc_ids
    assert "fixture:flu-consumer" not in [h.document.id for h in search(lib, "flu", k=50)]
    row = next(r for r in range(len(index.doc_ids)) if index.doc_ids[r] == "fixture:flu-consumer")
    assert index.scores({"flu": 1.0})[row] == 0
    assert not index.presence([row], ["flu"]).any()
    lib.close()


def test_a_changed_document_is_found_by_its_new_text_only(tmp_path):
    lib = _library(tmp_path / "lib", fixture_documents() + _many(0, 20))
    changed = _doc(7, "Zebrafish fin regeneration", "Zebrafish regrow their fins quickly.")
    lib.ingest_documents([changed], source_name="t")
    lib.refresh_indexes()
    assert [h.document.id for h in search(lib, "zebrafish fins", k=3)] == ["t:007"]
    old_words = search(lib, "7 adults", k=50)  # "We studied ... in 7 adults" is gone
    assert all(h.document.id != "t:007" for h in old_words)
    assert lib.lexical.rows_of(["t:007"]).tolist() != [-1]
    lib.close()


def test_incremental_updates_equal_a_build_from_scratch(tmp_path):
    lib = _library(tmp_path / "lib", fixture_documents() + _many(0, 30))
    lib.ingest_documents(_many(30, 10), source_name="t")
    lib.refresh_indexes()
    lib.ingest_documents([_doc(5, "Zebrafish fins", "Zebrafish regrow fins (ZF) in water."),
                          Deletion("t:011", "x"), Deletion("fixture:ai-exercise", "x")],
                         source_name="t")
    lib.refresh_indexes()
    assert len(lib.lexical.segments) == 3
    scratch = Library(Settings(library=tmp_path / "scratch", dense=False), create=True)
    scratch.ingest_documents(lib.store.iter_documents(), source_name="t")
    scratch.refresh_indexes()
    assert len(scratch.lexical.segments) == 1
    _assert_same(lib, scratch)
    lib.merge_lexical()
    assert len(lib.lexical.segments) == 1 and lib.lexical.live_count == len(lib.store)
    assert len(lib.lexical.doc_ids) == len(lib.store)  # tombstoned rows are gone
    _assert_same(lib, scratch)
    reopened = Library(Settings(library=tmp_path / "lib", dense=False))
    _assert_same(reopened, scratch)
    for library in (lib, scratch, reopened):
        library.close()


def test_updates_merge_many_segments_and_compact_dead_ones(tmp_path, monkeypatch):
    monkeypatch.setattr(lexical_build, "MAX_SEGMENTS", 3)
    monkeypatch.setattr(lexical_segments, "DF_CHUNK", 7)  # tombstones recount in many passes
    lib = _library(tmp_path / "lib", _many(0, 20))
    for start in range(20, 40, 5):
        lib.ingest_documents(_many(start, 5), source_name="t")
        lib.refresh_indexes()
        assert len(lib.lexical.segments) <= 3
    files_before = set((tmp_path / "lib" / "index" / "lexical").iterdir())
    lib.ingest_documents([Deletion(f"t:{n:03d}", "x") for n in range(0, 12)], source_name="t")
    lib.refresh_indexes()
    index = lib.lexical
    # More than a quarter of the first segment died: it was rewritten without its dead rows.
    assert index.live_count == len(index.doc_ids) == 28
    assert {s.name for s in index.segments} - {p.name for p in files_before}
    scratch = _library(tmp_path / "scratch", list(lib.store.iter_documents()))
    _assert_same(lib, scratch)
    lib.close()
    scratch.close()


def test_update_merges_leave_large_segments_alone(tmp_path, monkeypatch):
    monkeypatch.setattr(lexical_build, "MAX_SEGMENTS", 3)
    monkeypatch.setattr(lexical_build, "SEGMENT_ROWS", 40)  # small: below 10 rows
    lib = _library(tmp_path / "lib", _many(0, 20))
    base = lib.lexical.segments[0].name
    for start in range(20, 60, 5):
        lib.ingest_documents(_many(start, 5), source_name="t")
        lib.refresh_indexes()
        assert len(lib.lexical.segments) <= 3
        assert lib.lexical.segments[0].name == base  # never rewritten
    assert lib.lexical.live_count == 60
    lib.close()


def test_an_update_that_dies_before_its_manifest_is_redone_cleanly(tmp_path, monkeypatch):
    zinc = [_doc(n, "Zinc fingers", "Zinc finger (ZF) proteins bind DNA.") for n in (100, 101)]
    lib = _library(tmp_path / "lib", fixture_documents() + _many(0, 10) + zinc)
    # Counted twice, this one definition would tie with the two above and win (first by id).
    lib.ingest_documents(_many(10, 5) + [Deletion("t:002", "x"), _doc(
        50, "Zebrafish", "Zebrafish fins (ZF) regrow.")], source_name="t")
    replace = lexical_build.os.replace

    def dies_at_the_manifest(src, dst):
        if str(dst).endswith("manifest.json"):
            raise OSError("disk full")
        replace(src, dst)

    monkeypatch.setattr(lexical_build.os, "replace", dies_at_the_manifest)
    with pytest.raises(OSError):
        lib.refresh_indexes()
    monkeypatch.setattr(lexical_build.os, "replace", replace)
    lib = Library(Settings(library=tmp_path / "lib", dense=False))
    lib.refresh_indexes()  # the same update again, over the dead writer's files and pairs
    assert lib.lexical.abbreviations["zf"] == ["zinc", "finger"]
    scratch = _library(tmp_path / "scratch", list(lib.store.iter_documents()))
    _assert_same(lib, scratch)
    lib.close()
    scratch.close()


def test_an_open_reader_keeps_its_snapshot_through_an_update(tmp_path):
    lib = _library(tmp_path / "lib", fixture_documents() + _many(0, 10))
    index = Library(Settings(library=tmp_path / "lib", dense=False)).lexical
    before = index.scores({"flu": 1.0})
    lib.ingest_documents([Deletion("fixture:flu-consumer", "x")] + _many(10, 5),
                         source_name="t")
    lib.refresh_indexes()
    lib.merge_lexical()  # removes the segment files the reader has mapped
    np.testing.assert_array_equal(index.scores({"flu": 1.0}), before)
    assert index.doc_ids[int(before.argmax())] == "fixture:flu-consumer"
    assert index.scores({"fever": 1.0}).max() > 0  # a term first looked up after the merge
    assert lib.lexical.version != index.version
    index.close()
    lib.close()


def test_dense_rows_follow_the_lexical_rows_through_updates(tmp_path, monkeypatch):
    from citemed.library import embed

    def fake_heads(texts, cache_path, progress=None, device="auto"):  # no model: a vector each
        rng = [np.random.default_rng(abs(hash(text)) % 2**32) for text in texts]
        return np.asarray([r.standard_normal(embed.DIM) for r in rng], dtype=np.float16)

    monkeypatch.setattr(embed, "embed_heads", fake_heads)
    lib = Library(Settings(library=tmp_path / "lib", dense=True), create=True)
    lib.ingest_documents(_many(0, 20), source_name="t")
    lib.refresh_indexes()
    lib.ingest_documents([_doc(3, "Zebrafish fins", "Zebrafish regrow fins."),
                          Deletion("t:004", "x")] + _many(20, 3), source_name="t")
    lib.refresh_indexes()
    aligned = lib.dense_rows()
    assert aligned is not None
    dense, to_dense, to_lexical = aligned
    index = lib.lexical
    assert len(index.segments) == 2 and not index.live.all()
    for row in range(len(index.doc_ids)):
        if index.live[row]:
            assert dense.doc_id(to_dense[row]) == index.doc_ids[row]
        else:
            assert to_dense[row] == -1
    for dense_row, row in enumerate(to_lexical):
        assert row == -1 or index.doc_ids[row] == dense.doc_id(dense_row)
    lib.close()


def test_weights_are_rewritten_only_when_the_average_length_drifts(tmp_path, monkeypatch):
    lib = _library(tmp_path / "lib", _many(0, 30))
    first = lib.lexical.segments[0].weights_tag
    monkeypatch.setattr(lexical_build, "WEIGHT_DRIFT", 0.5)  # this update's drift is below it
    lib.ingest_documents([_doc(30, "Statins", "Statins " * 40)], source_name="t")
    lib.refresh_indexes()
    kept = lib.lexical.segments[0]
    assert kept.weights_tag == first and kept.avgdl != lexical_segments.live_avgdl(lib.lexical.segments)
    scratch = _library(tmp_path / "scratch", list(lib.store.iter_documents()))
    old, new = lib.lexical.scores({"statin": 1.0}), scratch.lexical.scores({"statin": 1.0})
    assert not np.allclose(old, new, rtol=1e-4)  # stale weights: a small, bounded error
    np.testing.assert_allclose(old, new, rtol=0.5)
    monkeypatch.setattr(lexical_build, "WEIGHT_DRIFT", 0.0)
    lib.ingest_documents([Deletion("t:029", "x")], source_name="t")
    lib.refresh_indexes()
    assert lib.lexical.segments[0].weights_tag != first  # reweighed, the old file removed
    assert not (tmp_path / "lib/index/lexical" / kept.name / f"weights-{first}.npy").exists()
    scratch.ingest_documents([Deletion("t:029", "x")], source_name="t")
    scratch.refresh_indexes()
    np.testing.assert_allclose(lib.lexical.scores({"statin": 1.0}),
                               scratch.lexical.scores({"statin": 1.0}), rtol=1e-6)
    lib.close()
    scratch.close()


def _as_written_by(folder: Path, version: int) -> None:
    """Make the index in `folder` look as an older CiteMed left it: format 3 had no weights."""
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    for entry in manifest["segments"]:
        (folder / entry["name"] / f"weights-{entry.pop('weights')}.npy").unlink()
        entry.pop("avgdl")
    path.write_text(json.dumps({**manifest, "format": version}))


def _older(path: Path, docs: list[Document], version: int, command: str) -> Library:
    """A library over `docs` whose index says `version`; reading it names `command`."""
    _library(path, docs).close()
    folder = path / "index" / "lexical"
    _as_written_by(folder, version)
    lib = Library(Settings(library=path, dense=False))
    with pytest.raises(LibraryError, match=rf"{folder / 'manifest.json'} is lexical index format "
                                           rf"{version}; this CiteMed reads format 4: run "
                                           rf"'{command} --library {path}'"):
        _ = lib.lexical
    return lib


def test_an_index_of_the_previous_format_is_upgraded_in_place(tmp_path, counted):
    docs = fixture_documents() + _many(0, 10)
    same = _library(tmp_path / "same", docs)
    before = _scores_by_id(same)
    same.close()
    lib = _older(tmp_path / "lib", docs, 3, "citemed library merge")
    counted.clear()
    lib.refresh_indexes()  # the store did not change: only the weights are written
    assert counted == [] and lib.lexical.manifest["format"] == 4
    assert _scores_by_id(lib) == before
    lib.close()
    merger = _older(tmp_path / "merged", docs, 3, "citemed library merge")
    assert len(merger.merge_lexical().segments) == 1 and _scores_by_id(merger) == before
    merger.close()


def test_an_index_of_an_unknown_format_is_rebuilt(tmp_path, counted):
    lib = _older(tmp_path / "lib", _many(0, 10), 2, "citemed ingest PATH")
    counted.clear()
    lib.refresh_indexes()
    assert len(counted) == 10 and lib.lexical.live_count == 10  # rebuilt from the store
    lib.close()


def _resident_kib(path: Path) -> int:
    """This process's resident pages of the file at `path` (all its mappings), from smaps."""
    total, inside = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        if "-" in line.split(" ", 1)[0]:  # a mapping's header: address range ... path
            inside = line.endswith(str(path))
        elif inside and line.startswith("Rss:"):
            total += int(line.split()[1])
    return total


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="needs Linux smaps")
def test_a_search_leaves_no_index_pages_resident_and_the_same_scores(tmp_path):
    index = lexical_build.build(tmp_path / "lexical", _many(0, 3000), version="v")
    segment = index.segments[0]
    files = [tmp_path / "lexical" / segment.name / name
             for name in ("rows.npy", f"weights-{segment.weights_tag}.npy")]
    assert all(path.stat().st_size > 64 * 1024 for path in files)
    expected = segment.weights.astype(np.float64).sum(), int(segment.rows.sum())  # touch all
    assert all(_resident_kib(path) > 0 for path in files)
    first = index.scores({"statin": 1.0, "kidney": 0.5})
    assert [_resident_kib(path) for path in files] == [0, 0]
    assert (segment.weights.astype(np.float64).sum(), int(segment.rows.sum())) == expected
    np.testing.assert_array_equal(index.scores({"statin": 1.0, "kidney": 0.5}), first)
    index.release_pages()
    assert [_resident_kib(path) for path in files] == [0, 0]
    index.close()
