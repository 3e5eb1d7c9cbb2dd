from __future__ import annotations

import os
from pathlib import Path

import pytest

from citemed.library import Library
from citemed.model import Document, Kind
from citemed.settings import Settings
from citemed.sources.base import make_section

FIXTURES = Path(__file__).parent / "fixtures"


def shared_data() -> Path:
    return Path(os.environ.get("CITEMED_DATA", Path(__file__).parents[2] / "shared" / "data"))


@pytest.fixture
def data_dir() -> Path:
    path = shared_data()
    if not (path / "DATA.md").exists():
        pytest.fail(f"shared data not found at {path}; set CITEMED_DATA")
    return path


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    """Rich wraps CLI output at the terminal width; a long checkout path must not split a
    "file [record N]" message the tests read (CI clones into paths of any length)."""
    monkeypatch.setenv("COLUMNS", "400")


def document_maker(collection: str, source: str, year: int):
    """doc(id, kind, title, [(label, text), ...], **fields): a Document of `collection`."""
    def doc(doc_id, kind, title, sections, year=year, **kw):
        return Document(
            id=f"{collection}:{doc_id}", collection=collection, kind=kind, title=title,
            source=kw.pop("source", source), year=year,
            sections=[make_section(label, text) for label, text in sections], **kw,
        )

    return doc


def fixture_documents() -> list[Document]:
    """A handful of hand-written documents covering kinds and facets."""
    doc = document_maker("fixture", "Fixture Journal", 2020)

    return [
        doc("ai-joint", Kind.OBSERVATIONAL,
            "Joint pain in women taking aromatase inhibitors",
            [("BACKGROUND", "Aromatase inhibitors lower estrogen levels in postmenopausal women. "
                            "Joint pain and stiffness are reported by many patients."),
             ("RESULTS", "Arthralgia was reported by 47% of 300 women receiving anastrozole. "
                         "About 20% stopped treatment because of joint symptoms."),
             ("CONCLUSIONS", "Estrogen deprivation is linked to aromatase inhibitor arthralgia.")],
            pmid="111"),
        doc("ai-exercise", Kind.RANDOMIZED_TRIAL,
            "Exercise for aromatase inhibitor arthralgia: a randomized trial",
            [("RESULTS", "Supervised exercise reduced worst joint pain scores by 20% versus usual "
                         "care."),
             ("CONCLUSIONS", "Exercise is an effective treatment for aromatase inhibitor joint "
                             "pain.")], pmid="222", doi="10.1000/ex.222"),
        doc("htn-guideline", Kind.GUIDELINE, "Hypertension in adults: guideline",
            [("RECOMMENDATIONS", "Offer a thiazide-like diuretic or a calcium channel blocker as "
                                 "first-line treatment. Avoid combining an ACE inhibitor with an "
                                 "angiotensin receptor blocker.")],
            year=2017, source="Fixture Guideline Group", url="https://example.org/htn"),
        doc("flu-consumer", Kind.CONSUMER, "Flu: symptoms and treatment",
            [("What are the symptoms of flu?", "Flu symptoms include fever, cough and muscle "
                                                "aches. Most people recover in one to two weeks.")],
            year=None, source="Fixture Health Site", url="https://example.org/flu"),
    ]


@pytest.fixture
def library(tmp_path: Path) -> Library:
    settings = Settings(library=tmp_path / "lib", data=shared_data())
    lib = Library(settings, create=True)
    lib.ingest_documents(fixture_documents(), source_name="fixture")
    lib.refresh_indexes()
    yield lib
    lib.close()
