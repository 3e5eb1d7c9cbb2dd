"""Documents for the web, audience and conversation tests, beside tests/conftest.py's fixtures:
a drug with dosing and sex-specific findings (for follow-ups) and a consumer page that glosses
technical terms in brackets (for the lay vocabulary miner)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from citemed.library import Library
from citemed.model import Document, Kind
from citemed.settings import Settings
from citemed.web.server import serve_in_subprocess
from tests.conftest import document_maker, fixture_documents


def web_documents() -> list[Document]:
    doc = document_maker("webfix", "Web Fixture Journal", 2021)

    return [
        doc("metformin-dose", Kind.GUIDELINE, "Metformin for type 2 diabetes: dosing guideline",
            [("DOSING", "The usual starting dose of metformin is 500 mg once or twice daily with "
                        "meals. The dose of metformin can be increased to a maximum of 2000 mg "
                        "per day.")],
            source="Fixture Diabetes Society", url="https://example.org/metformin"),
        doc("metformin-women", Kind.RANDOMIZED_TRIAL,
            "Metformin and weight in women with type 2 diabetes",
            [("RESULTS", "Metformin reduced body weight in women with type 2 diabetes "
                         "(mean difference 2.1 kg, 95% CI 1.2 to 3.0)."),
             ("CONCLUSIONS", "Metformin lowers weight in women with type 2 diabetes.")],
            pmid="333"),
        doc("metformin-men", Kind.OBSERVATIONAL, "Metformin and weight in men",
            [("RESULTS", "In men with type 2 diabetes, metformin was associated with modest "
                         "weight loss and less myalgia than sulfonylureas.")], pmid="444"),
        doc("joint-consumer", Kind.CONSUMER, "Joint pain from breast cancer medicines",
            [("What is it?", "Some breast cancer medicines cause arthralgia (joint pain) and "
                             "myalgia (muscle pain). Arthralgia (joint pain) often starts in the "
                             "first months. Some people also feel muscle pain (myalgia)."),
             ("What helps?", "Regular exercise and myalgia (muscle pain) relief can help.")],
            year=None, source="Fixture Health Site", url="https://example.org/joints"),
    ]


def build_web_library(folder: Path) -> Settings:
    """A library folder holding the shared fixtures plus `web_documents()`."""
    settings = Settings(library=folder)
    library = Library(settings, create=True)
    try:
        library.ingest_documents([*fixture_documents(), *web_documents()], source_name="fixture")
        library.refresh_indexes()
    finally:
        library.close()
    return settings



@contextmanager
def running_server(folder: Path) -> Iterator[str]:
    """A real `citemed serve` subprocess over a fresh web fixture library; yields its base URL."""
    settings = build_web_library(folder)
    with serve_in_subprocess(settings.library) as base:
        yield base
