"""A read-only library folder (the replica layout, docs/replicas.md) is read without writing
anything into it, and whatever would have to write there fails with a message naming the
folder. The two-server test over PostgreSQL is tests/articles/test_replicas.py."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from citemed.cli import app
from citemed.engine import Engine
from citemed.errors import LibraryError
from citemed.library import Library
from citemed.settings import Settings, folder_is_read_only
from citemed.web.service import AnswerService
from tests.conftest import fixture_documents
from tests.read_only import read_only, snapshot
from tests.web_documents import web_documents


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A lexical-only library of the fixture and web documents (consumer pages included, so a
    patient answer mines the lay vocabulary, which a writable library caches in its folder)."""
    lib = Library(Settings(library=tmp_path / "lib", dense=False), create=True)
    lib.ingest_documents([*fixture_documents(), *web_documents()], source_name="fixture")
    lib.refresh_indexes()
    lib.close()
    return tmp_path / "lib"


def test_folder_modes_decide_read_only(folder, tmp_path):
    assert not folder_is_read_only(folder)
    assert not folder_is_read_only(tmp_path / "not yet made")
    with read_only(folder):
        assert folder_is_read_only(folder)
        assert Settings(library=folder).read_only_library()
        assert not Settings(library=folder, library_read_only=False).read_only_library()
    assert Settings(library=folder, library_read_only=True).read_only_library()


def test_answers_from_a_read_only_library_write_nothing_into_it(folder, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    writable = Engine(Settings(library=folder, dense=False))
    expected = writable.ask("What is the usual starting dose of metformin?", audience="patient")
    writable.close()
    (folder / "index" / "lay_vocabulary.json").unlink()  # a writable library cached it
    with read_only(folder) as before:
        settings = Settings(library=folder, dense=False)
        service = AnswerService(settings)
        assert service.engine.library.read_only
        service.warm()
        answer = service.ask("What is the usual starting dose of metformin?", "patient")
        assert answer.model_dump(exclude={"generation"}) == expected.model_dump(
            exclude={"generation"})
        thread, _ = service.start_thread(["What is the usual starting dose of metformin?"],
                                         "clinician")
        assert service.threads.turns(thread)
        assert service.search("metformin", k=3, audience="clinician")
        service.close()
        assert snapshot(folder) == before
    # Threads went to the per-user state folder, not into the library.
    assert (tmp_path / "state" / "citemed" / "threads.sqlite").exists()


def test_a_write_ahead_log_with_changes_is_refused_not_ignored(folder):
    """An immutable connection would read the file without the WAL's commits."""
    writer = sqlite3.connect(folder / "library.sqlite", isolation_level=None)
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('probe', '1')")
    try:
        with read_only(folder), pytest.raises(LibraryError, match="library.sqlite-wal holds"):
            Library(Settings(library=folder, dense=False))
    finally:
        writer.close()


def test_ingest_into_a_read_only_folder_names_it(folder):
    with read_only(folder), pytest.raises(LibraryError, match=f"{folder} is read-only"):
        Library(Settings(library=folder, dense=False), create=True)


def test_serve_over_a_read_only_folder_needs_a_database(folder):
    with read_only(folder):
        result = CliRunner().invoke(app, ["serve", "--library", str(folder)])
    assert result.exit_code == 2
    message = " ".join(result.output.split())
    assert f"the library folder {folder} is read-only" in message and "--database" in message


def test_a_server_follows_an_atomic_swap_to_a_new_read_only_folder(folder, tmp_path,
                                                                    monkeypatch):
    """The roll-out of docs/replicas.md: servers read `current`, a symlink; a new folder is
    built beside the old one, made read-only, and the link replaced in one rename."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    new = tmp_path / "lib-2"
    lib = Library(Settings(library=new, dense=False), create=True)
    lib.ingest_documents([*fixture_documents(), *web_documents()][:3], source_name="fixture")
    lib.refresh_indexes()
    lib.close()
    current = tmp_path / "current"
    current.symlink_to(folder)
    with read_only(folder), read_only(new) as new_before:
        service = AnswerService(Settings(library=current, dense=False, library_check_seconds=0))
        assert service.document_count() == 8
        old_version = service.library_version
        (tmp_path / "current.new").symlink_to(new)
        (tmp_path / "current.new").replace(current)  # rename(2): atomic, as `mv -T` does
        assert service.document_count() == 3
        assert service.library_version != old_version
        assert service.engine.library.read_only
        assert service.search("metformin", k=3, audience="clinician") == []
        service.close()
        assert snapshot(new) == new_before


def test_ingest_caches_the_lay_vocabulary_for_the_servers(tmp_path, monkeypatch):
    """The writer mines it, so a read-only server reads it rather than mining at start."""
    monkeypatch.setenv("CITEMED_DENSE", "0")
    folder = tmp_path / "lib"
    sources = Path(__file__).parents[1] / "fixtures" / "sources"
    result = CliRunner().invoke(app, ["ingest", str(sources / "medquad.jsonl"),
                                      "--library", str(folder)])
    assert result.exit_code == 0, result.output
    cache = json.loads((folder / "index" / "lay_vocabulary.json").read_text())
    assert cache["library_version"] == Library(Settings(library=folder)).version
