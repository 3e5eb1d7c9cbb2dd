"""The demo ingest of every open set in CITEMED_DATA: counts must match DATA.md."""

import pytest

from citemed.demo import DEMO_SOURCES, demo_paths
from citemed.library import Library
from citemed.settings import Settings

# DATA.md: PubMedQA 1,000; BioASQ 14,151 PMIDs of which 13,449 have title or abstract snippets;
# MedQuAD 16,407; MedicationQA 690; NGC 53; SciFact 5,183.
EXPECTED = {"pubmedqa": 1000, "bioasq": 13449, "medquad": 16407, "medicationqa": 690,
            "ngc": 53, "scifact": 5183}


@pytest.mark.integration
def test_demo_ingest_counts_match_data_md_and_reingest_changes_nothing(data_dir, tmp_path):
    assert {fmt for _, fmt in DEMO_SOURCES} == set(EXPECTED)
    library = Library(Settings(library=tmp_path / "lib", data=data_dir), create=True)
    try:
        paths = demo_paths(data_dir)
        report = None
        for path, fmt in paths:
            report = library.ingest_paths([path], format=fmt, refresh=False, report=report)
        assert report.errors == []
        assert {name: rep.added for name, rep in report.by_source.items()} == EXPECTED
        stats = library.stats()
        assert stats["by_source"] == EXPECTED
        assert stats["documents"] == sum(EXPECTED.values())
        version = library.store.version()
        check_sentences(library)

        again = None
        for path, fmt in paths:
            again = library.ingest_paths([path], format=fmt, refresh=False, report=again)
        assert {name: rep.unchanged for name, rep in again.by_source.items()} == EXPECTED
        assert again.total.added == again.total.updated == 0
        assert library.store.version() == version
    finally:
        library.close()


def check_sentences(library: Library) -> None:
    """Every stored sentence is a trimmed, non-empty span, in order, inside its section."""
    for doc in library.store.iter_documents():
        assert doc.title.strip(), doc.id
        for section in doc.sections:
            end = 0
            for sentence in section.sentences:
                assert end <= sentence.start < sentence.end <= len(section.text), sentence
                assert sentence.text == sentence.text.strip() and sentence.text, doc.id
                end = sentence.end
        if doc.collection != "bioasq":  # BioASQ has 529 title-only documents
            assert any(section.sentences for section in doc.sections), doc.id
