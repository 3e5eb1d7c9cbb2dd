"""Ingest under bad input and crashes: real files, a real library, a real killed process."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from bench.synthetic_pubmed import sections_for, write_pubmed_xml

from citemed.library import Library
from citemed.model import Document, Kind
from citemed.settings import Settings
from citemed.sources.base import make_section
from tests.conftest import FIXTURES

SOURCES = FIXTURES / "sources"
REPO = Path(__file__).parents[2]


def new_library(tmp_path: Path, **settings) -> Library:
    return Library(Settings(library=tmp_path / "lib", **settings), create=True)


def test_hostile_xml_is_reported_and_nothing_from_it_is_stored(tmp_path):
    library = new_library(tmp_path)
    report = library.ingest_paths([SOURCES / "billion_laughs.xml", SOURCES / "external_entity.xml",
                                   SOURCES / "pubmed_sample.xml"])
    assert len(library.store) == 3  # the well-formed file is still ingested in full
    assert any("billion_laughs.xml" in e for e in report.errors)
    assert any("external_entity.xml" in e for e in report.errors)
    stored = library.store.conn.execute("SELECT group_concat(text, ' ') FROM sections").fetchone()
    assert "root:" not in stored[0] and "lol" not in stored[0]
    assert report.by_source["pubmed"].rejected == 3  # 2 refused files + 1 record without PMID
    library.close()


def test_oversized_fields_are_truncated_with_a_warning(tmp_path):
    library = new_library(tmp_path, max_field_chars=100)
    long_text = " ".join(f"Sentence number {i} is here." for i in range(40))
    doc = Document(id="t:1", collection="t", kind=Kind.OTHER, title="T" * 5000,
                   sections=[make_section("BODY", long_text)])
    report = library.ingest_documents([doc], source_name="t")
    stored = library.document("t:1")
    assert len(stored.title) == 2000 and len(stored.sections[0].text) == 100
    assert stored.sections[0].sentences[-1].end <= 100
    for _, section, sentence in stored.iter_sentences():
        assert section.text[sentence.start:sentence.end] == sentence.text
    assert len(report.warnings) == 2
    assert "t:1" in report.warnings[1] and f"truncated from {len(long_text):,} to 100" in report.warnings[1]
    library.close()


def complete_documents(db: Path) -> tuple[int, list[str]]:
    """(document count, ids whose stored section count differs from the generated one)."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT d.pmid, COUNT(s.idx) FROM documents d LEFT JOIN sections s ON s.doc_id = d.id "
            "GROUP BY d.id").fetchall()
    return len(rows), [pmid for pmid, n in rows if n != sections_for(int(pmid))]


@pytest.mark.slow
def test_kill_9_mid_ingest_then_resume_gives_every_record_once_and_whole(tmp_path):
    xml = tmp_path / "pubmed_synthetic.xml.gz"
    pmids = write_pubmed_xml(xml, 3000)
    library = tmp_path / "lib"
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "CITEMED_BATCH_SIZE": "100"}
    command = [sys.executable, "-m", "citemed.cli", "ingest", str(xml), "--library", str(library)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    db = library / "library.sqlite"
    stored = 0
    deadline = time.monotonic() + 120
    while stored < 600 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
        if db.exists():
            try:
                with sqlite3.connect(db) as conn:  # cheap: the rowid b-tree's last key
                    stored = conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM documents"
                                          ).fetchone()[0]
            except sqlite3.OperationalError:  # schema not created yet
                continue
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "ingest finished before it could be killed"

    count, incomplete = complete_documents(db)
    assert 0 < count < len(pmids)
    assert incomplete == []  # committed batches hold whole documents only

    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=300)
    count, incomplete = complete_documents(db)
    assert count == len(pmids) and incomplete == []
    with sqlite3.connect(db) as conn:
        distinct = conn.execute("SELECT COUNT(DISTINCT pmid) FROM documents").fetchone()[0]
        sections = conn.execute("SELECT COUNT(*) FROM sections").fetchone()[0]
    assert distinct == len(pmids)
    assert sections == sum(sections_for(p) for p in pmids)


def test_oversized_record_in_a_real_file_is_truncated_not_fatal(tmp_path):
    lines = (SOURCES / "medquad.jsonl").read_text().splitlines()
    huge = json.loads(lines[0])
    huge["id"] = "1_Demo_QA/0009#1"
    huge["answer"] = "Glimmer is rare. " * 20_000  # 340,000 characters
    path = tmp_path / "medquad_big.jsonl"
    path.write_text("\n".join([json.dumps(huge), *lines]) + "\n")
    library = new_library(tmp_path)
    report = library.ingest_paths([path], refresh=False)
    assert report.by_source["medquad"].added == 3
    (warning,) = report.warnings
    assert "medquad:1_Demo_QA/0009#1" in warning and "truncated from 339,999 to 200,000" in warning
    assert len(library.document("medquad:1_Demo_QA/0009#1").sections[0].text) == 200_000
    library.close()


def test_a_text_node_over_libxml2s_limit_is_reported_and_earlier_records_kept(tmp_path):
    text = (SOURCES / "pubmed_sample.xml").read_text()
    # 11 MB of text in one node: over the 10 MB limit that huge_tree=False keeps.
    bloated = text.replace("Most cases are mild.", "Most cases are mild. " + "x" * 11_000_000)
    path = tmp_path / "bloated.xml"
    path.write_text(bloated)
    library = new_library(tmp_path)
    report = library.ingest_paths([path], refresh=False)
    assert [d.id for d in library.store.iter_documents()] == ["pubmed:90000001"]
    assert any("bloated.xml [record 2]" in e for e in report.errors)
    library.close()
