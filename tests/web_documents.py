"""Documents for the web, audience and conversation tests, beside tests/conftest.py's fixtures:
a drug with dosing and sex-specific findings (for follow-ups) and a consumer page that glosses
technical terms in brackets (for the lay vocabulary miner)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from citemed.library import Library
from citemed.model import Document, Kind
from citemed.settings import Settings
from citemed.sources.base import make_section
from tests.conftest import fixture_documents


def web_documents() -> list[Document]:
    def doc(doc_id, kind, title, sections, year=2021, **kw):
        return Document(
            id=f"webfix:{doc_id}", collection="webfix", kind=kind, title=title,
            source=kw.pop("source", "Web Fixture Journal"), year=year,
            sections=[make_section(label, text) for label, text in sections], **kw,
        )

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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_server(folder: Path) -> Iterator[str]:
    """A real `citemed serve` subprocess on a free loopback port over the web fixture library;
    yields its base URL and stops it afterwards."""
    settings = build_web_library(folder)
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    process = subprocess.Popen(
        [sys.executable, "-m", "citemed.cli", "serve", "--library", str(settings.library),
         "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"citemed serve exited: {process.stdout.read()}")
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("citemed serve did not become ready within 60 s")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
