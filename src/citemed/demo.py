"""The demo library: every open corpus in the shared data folder, ingested in one call."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from citemed.errors import CiteMedError
from citemed.library import IngestReport, Library
from citemed.settings import Settings

# The README's sample question: the demo answers it and the ask page offers it first. (The
# library holds no source on estrogen deprivation as the cause, so asking that abstains.)
SAMPLE_QUESTION = (
    "Do aromatase inhibitors cause musculoskeletal symptoms in women with breast cancer?"
)

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


def build_demo_library(settings: Settings, *, progress=None, dense: bool = True) -> IngestReport:
    """Ingest the demo corpora and build the indexes; `dense=False` builds only BM25 (the
    dense index is then left to citemed.library.builder, in the background)."""
    library = Library(settings, create=True)
    try:
        report = IngestReport()
        for path, fmt in demo_paths(Path(settings.data)):
            library.ingest_paths([path], format=fmt, progress=progress, report=report,
                                 refresh=False)
        library.refresh_indexes(progress=progress, dense=dense)
        return report
    finally:
        library.close()


def answer_page_url(host: str, port: int, question: str) -> str:
    """The shareable answer page of `question` on a server listening on host:port."""
    # A wildcard bind address is not something a browser can open; loopback reaches it.
    shown = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(host, host)
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/ask?" + urlencode({"q": question})
