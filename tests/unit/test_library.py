import pytest

from citemed.errors import LibraryError, SourceError
from citemed.library import Library
from citemed.model import Kind
from citemed.settings import Settings
from citemed.sources.base import Deletion
from tests.conftest import fixture_documents


def test_reingest_is_a_no_op_and_changed_records_update_in_place(library):
    version = library.version
    report = library.ingest_documents(fixture_documents(), source_name="fixture")
    assert report.by_source["fixture"].unchanged == 4
    assert library.version == version
    changed = fixture_documents()[0]
    changed.title = "A new title"
    report = library.ingest_documents([changed], source_name="fixture")
    assert report.by_source["fixture"].updated == 1
    assert len(library.store) == 4
    assert library.document(changed.id).title == "A new title"
    assert library.version != version


def test_sentences_round_trip_with_offsets(library):
    doc = library.document("fixture:ai-joint")
    for _, section, sentence in doc.iter_sentences():
        assert section.text[sentence.start:sentence.end] == sentence.text
    assert doc.sections[1].sentences[0].text.startswith("Arthralgia was reported by 47%")


def test_bad_records_are_reported_and_the_rest_kept(library):
    docs = fixture_documents()
    items = [SourceError("feed.xml", "broken", record=2), docs[0], Deletion("fixture:flu-consumer", "x")]
    report = library.ingest_documents(items, source_name="mixed")
    rep = report.by_source["mixed"]
    assert (rep.rejected, rep.unchanged, rep.deleted) == (1, 1, 1)
    assert "feed.xml [record 2]: broken" in report.errors[0]
    assert len(library.store) == 3


def test_opening_a_missing_library_names_the_folder(tmp_path):
    with pytest.raises(LibraryError, match=str(tmp_path / "nope")):
        Library(Settings(library=tmp_path / "nope"))


def test_index_is_rebuilt_when_the_store_changes(library):
    assert library.lexical.version == library.version
    library.ingest_documents([Deletion("fixture:flu-consumer", "x")], source_name="d")
    library.refresh_indexes()
    assert "fixture:flu-consumer" not in library.lexical.doc_ids


def test_ids_by_kind_lists_only_that_kind_in_id_order(library):
    assert library.store.ids_by_kind(Kind.CONSUMER) == ["fixture:flu-consumer"]
    assert library.store.ids_by_kind(Kind.GUIDELINE) == ["fixture:htn-guideline"]
    assert library.store.ids_by_kind(Kind.CASE_REPORT) == []


def test_a_library_indexed_by_an_older_citemed_names_the_command_that_rebuilds_it(tmp_path):
    settings = Settings(library=tmp_path / "lib", dense=False)
    library = Library(settings, create=True)
    library.ingest_documents(fixture_documents(), source_name="fixture")
    (library.folder / "index").mkdir(exist_ok=True)
    (library.folder / "index" / "lexical.npz").write_bytes(b"old whole-matrix index")
    with pytest.raises(LibraryError, match="older format.*citemed ingest"):
        _ = library.lexical
    library.refresh_lexical()
    assert library.lexical.version == library.version
