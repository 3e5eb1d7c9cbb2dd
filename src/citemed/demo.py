"""The demo library: every open corpus in the shared data folder, ingested in one call."""

from __future__ import annotations

from pathlib import Path

from citemed.errors import CiteMedError
from citemed.library import IngestReport, Library
from citemed.settings import Settings

# (path inside the data folder, reader name). Order matters only for the progress display.
DEMO_SOURCES: list[tuple[str, str]] = [
    ("pubmedqa/ori_pqal.json", "pubmedqa"),
    ("bioasq", "bioasq"),
    ("medquad/medquad_answered.jsonl", "medquad"),
    ("medicationqa/medicationqa.jsonl", "medicationqa"),
    ("guidelines_ngc_public_domain/ngc_public_domain_summaries.jsonl", "ngc"),
    ("scifact/corpus.jsonl", "scifact"),
]


def demo_paths(data: Path) -> list[tuple[Path, str]]:
    found = [(data / rel, fmt) for rel, fmt in DEMO_SOURCES if (data / rel).exists()]
    if not found:
        raise CiteMedError(
            f"no demo data under {data.resolve()}: pass --data or set CITEMED_DATA to the folder "
            "that holds pubmedqa/, bioasq/, medquad/ ..."
        )
    return found


def build_demo_library(settings: Settings, *, progress=None) -> IngestReport:
    library = Library(settings, create=True)
    try:
        report = IngestReport()
        for path, fmt in demo_paths(Path(settings.data)):
            library.ingest_paths([path], format=fmt, progress=progress, report=report,
                                 refresh=False)
        library.refresh_indexes()
        return report
    finally:
        library.close()
