"""Backup and restore of a library folder, through the CLI, with a live articles database."""

from __future__ import annotations

import io
import sqlite3
import tarfile

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from citemed.articles.auth import Accounts
from citemed.articles.backup import backup, restore
from citemed.articles.db import Database
from citemed.articles.models import WebSession
from citemed.articles.service import ArticleService
from citemed.cli import app
from citemed.errors import InputError
from citemed.library import Library
from citemed.settings import Settings
from tests.articles.conftest import FAST_HASHER, QUESTION, fresh_postgres_database

runner = CliRunner()


def snapshot(library_dir, database_url=None):
    """Everything the round trip must keep: articles, versions, audit log, users, evidence."""
    db = Database(database_url or f"sqlite:///{library_dir / 'articles.sqlite'}")
    service = ArticleService(db)
    articles = {}
    for article in service.public_articles():
        articles[article.slug] = (
            article.state, article.revision, article.approved_by.username,
            [(v.number, v.content) for v in service.versions(article.slug, None)],
            [(e.action, e.actor_name, e.from_state, e.to_state, e.version)
             for e in service.audit(article.slug, None)])
    users = [u.username for u in Accounts(db).users()]
    db.dispose()
    lib = Library(Settings(library=library_dir))
    evidence = (lib.version, len(lib.store), lib.document("fixture:ai-joint").sections[0].text)
    lib.close()
    return articles, users, evidence


def approve_an_article(db, library, content):
    accounts = Accounts(db, FAST_HASHER)
    editor = accounts.add_user("edna", "correct horse battery", "editor")
    reviewer = accounts.add_user("rita", "correct horse battery", "reviewer",
                                 display_name="Dr Rita Reyes", credentials="MD",
                                 specialty="Oncology")
    service = ArticleService(db)
    article = service.create(editor, question=QUESTION, content=content,
                             library_version=library.version, slug="ai-joint")
    for actor, action in [(editor, "submit"), (reviewer, "start_review"), (reviewer, "approve")]:
        article = service.transition(actor, "ai-joint", action, revision=article.revision)


@pytest.fixture
def live_library(library, content):
    """The fixture library with an approved article in its default SQLite database, left open
    (as the web app would) while the backup runs."""
    db = Database(library.settings.database_url())
    db.migrate()
    approve_an_article(db, library, content)
    yield library.folder
    db.dispose()


def test_backup_and_restore_round_trip_through_the_cli(live_library, tmp_path):
    before = snapshot(live_library)
    archive = tmp_path / "out" / "backup.tar.gz"
    result = runner.invoke(app, ["backup", str(archive), "--library", str(live_library)])
    assert result.exit_code == 0, result.output
    assert "SQLite snapshots" in result.output
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert "library/articles.sqlite" in names and "library/library.sqlite" in names
    assert not any(name.endswith(("-wal", "-shm")) for name in names)

    target = tmp_path / "restored"
    result = runner.invoke(app, ["restore", str(archive), "--library", str(target)])
    assert result.exit_code == 0, result.output
    assert snapshot(target) == before
    assert before[0]["ai-joint"][0] == "approved" and len(before[0]["ai-joint"][4]) == 4

    refused = runner.invoke(app, ["restore", str(archive), "--library", str(target)])
    assert refused.exit_code == 2 and "not empty" in refused.output
    forced = runner.invoke(app, ["restore", str(archive), "--library", str(target), "--force"])
    assert forced.exit_code == 0 and "previous folder kept" in forced.output
    assert len(list(tmp_path.glob("restored.before-restore-*"))) == 1


def test_a_corrupt_backup_restores_nothing(live_library, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    backup(live_library, archive)
    bad = tmp_path / "bad.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(bad, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name == "library/manifest.json":
                data = data.replace(b"schema_version", b"schema_versiom")
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    target = tmp_path / "target"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    with pytest.raises(InputError, match="manifest.json is missing or corrupt"):
        restore(bad, target, force=True)
    assert (target / "keep.txt").read_text() == "mine"
    with pytest.raises(InputError, match="not a readable CiteMed backup"):
        restore(live_library / "articles.sqlite", tmp_path / "elsewhere")


def test_backup_snapshot_is_consistent_while_the_database_is_open(live_library, tmp_path):
    writer = sqlite3.connect(live_library / "articles.sqlite")  # an open connection, mid-WAL
    writer.execute("PRAGMA journal_mode=WAL")
    archive = tmp_path / "backup.tar.gz"
    backup(live_library, archive)
    writer.close()
    restore(archive, tmp_path / "restored")
    check = sqlite3.connect(tmp_path / "restored" / "articles.sqlite")
    assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert check.execute("SELECT COUNT(*) FROM audit_log").fetchone() == (4,)
    check.close()


def test_users_add_and_articles_commands(tmp_path, library, monkeypatch):
    args = ["--library", str(library.folder)]
    monkeypatch.setenv("CITEMED_NEW_PASSWORD", "correct horse battery")
    result = runner.invoke(app, ["users", "add", "root", "--role", "admin", *args])
    assert result.exit_code == 0 and "created admin 'root'" in result.output
    duplicate = runner.invoke(app, ["users", "add", "root", "--role", "admin", *args])
    assert duplicate.exit_code == 2 and "already exists" in duplicate.output
    listed = runner.invoke(app, ["users", "list", *args])
    assert "root\tadmin\tactive" in listed.output
    migrated = runner.invoke(app, ["articles", "migrate", *args])
    assert "schema at 0003" in migrated.output
    stale = runner.invoke(app, ["articles", "check-stale", *args])
    assert stale.exit_code == 0 and "0 flagged" in stale.output


@pytest.mark.postgres
def test_cli_against_postgresql(postgres_url, library, monkeypatch):
    plain_url = postgres_url.replace("postgresql+psycopg://", "postgresql://", 1)
    args = ["--library", str(library.folder), "--database", plain_url]
    migrated = runner.invoke(app, ["articles", "migrate", *args])
    assert migrated.exit_code == 0 and "schema at 0003" in migrated.output, migrated.output
    monkeypatch.setenv("CITEMED_NEW_PASSWORD", "correct horse battery")
    added = runner.invoke(app, ["users", "add", "root", "--role", "admin", *args])
    assert added.exit_code == 0, added.output
    assert "root\tadmin\tactive" in runner.invoke(app, ["users", "list", *args]).output
    assert not (library.folder / "articles.sqlite").exists()  # nothing went to SQLite


@pytest.mark.postgres
def test_backup_and_restore_of_a_postgresql_articles_database(postgres_url, library, content,
                                                             tmp_path):
    db = Database(postgres_url)
    db.migrate()
    approve_an_article(db, library, content)
    Accounts(db, FAST_HASHER).login("edna", "correct horse battery")  # a live session
    db.dispose()
    before = snapshot(library.folder, postgres_url)
    archive = tmp_path / "backup.tar.gz"
    result = runner.invoke(app, ["backup", str(archive), "--library", str(library.folder),
                                 "--database", postgres_url])
    assert result.exit_code == 0, result.output
    target = tmp_path / "restored"
    refused = runner.invoke(app, ["restore", str(archive), "--library", str(target)])
    assert refused.exit_code == 2 and "pass --database" in refused.output
    assert not target.exists()
    with fresh_postgres_database() as empty_url:
        result = runner.invoke(app, ["restore", str(archive), "--library", str(target),
                                     "--database", empty_url])
        assert result.exit_code == 0, result.output
        assert snapshot(target, empty_url) == before
        restored = Database(empty_url)
        with restored.read() as session:  # logins are not restored
            assert session.scalars(select(WebSession)).all() == []
        # New rows get fresh ids after the imported ones (sequences were moved on).
        Accounts(restored, FAST_HASHER).add_user("newbie", "correct horse battery", "editor")
        again = runner.invoke(app, ["restore", str(archive), "--library", str(tmp_path / "b"),
                                    "--database", empty_url])
        assert again.exit_code == 2 and "not empty" in again.output
        assert not (tmp_path / "b").exists()
        restored.dispose()
