"""A real server for the hardening and schema suites: uvicorn on a free loopback port, serving
create_app over the fixture library, with the team's accounts, API tokens and one article with
two versions, on SQLite or (in CI) PostgreSQL. Module-scoped: these suites send many requests
and need none of them isolated."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from citemed.articles.auth import Accounts
from citemed.articles.content import BulletEdit, ContentEdit, SectionEdit
from citemed.articles.db import Database
from citemed.articles.service import ArticleService
from citemed.library import Library
from citemed.settings import Settings
from citemed.web.app import create_app
from citemed.web.articles import ArticlesContext
from tests.articles.conftest import (
    FAST_HASHER,
    PASSWORD,
    QUESTION,
    WORKFLOW_READER_THRESHOLD,
    Team,
    fresh_postgres_database,
    make_team,
)
from tests.conftest import fixture_documents, shared_data

SLUG = "joint-pain"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Live:
    base: str
    app: FastAPI
    db: Database
    accounts: Accounts
    service: ArticleService
    team: Team
    tokens: dict[str, str]  # username -> plain API token

    def client(self, username: str | None = None, **kwargs) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[username]}"} if username else {}
        return httpx.Client(base_url=self.base, timeout=60, headers=headers, **kwargs)

    @contextmanager
    def browser(self, username: str) -> Iterator[tuple[httpx.Client, str]]:
        """A logged-in cookie session and its CSRF token."""
        with logged_in(self.base, username) as session:
            yield session


@contextmanager
def logged_in(base: str, username: str) -> Iterator[tuple[httpx.Client, str]]:
    """A cookie session logged in through the login form of the server at `base`, and its CSRF
    token."""
    with httpx.Client(base_url=base, timeout=60, follow_redirects=False) as client:
        form = client.get("/login").text.split('action="/login"', 1)[1]
        token = CSRF_RE.search(form)
        assert token
        response = client.post("/login", data={
            "username": username, "password": PASSWORD, "csrf_token": token.group(1),
            "next": "/articles"})
        assert response.status_code == 303, response.text
        csrf = CSRF_RE.search(client.get("/account/tokens").text)
        assert csrf
        yield client, csrf.group(1)


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            pytest.fail("uvicorn did not start")
        threading.Event().wait(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'articles.sqlite'}"
    else:
        with fresh_postgres_database() as url:
            yield url


@contextmanager
def live_server(kind: str, folder: Path) -> Iterator[Live]:
    settings = Settings(library=folder / "lib", data=shared_data(),
                        reader_threshold=WORKFLOW_READER_THRESHOLD)
    library = Library(settings, create=True)
    library.ingest_documents(fixture_documents(), source_name="fixture")
    library.refresh_indexes()
    library.close()
    with database(kind, folder) as url:
        db = Database(url)
        db.migrate()
        accounts = Accounts(db, FAST_HASHER)
        team = make_team(accounts)
        tokens = {user.username: accounts.create_token(user, "tests")[1]
                  for user in (team.editor, team.reviewer, team.admin)}
        app = create_app(settings)
        app.state.articles = ArticlesContext(settings, db, FAST_HASHER)
        with serve(app) as base:
            live = Live(base, app, db, accounts, ArticleService(db), team, tokens)
            with live.client("edna") as editor:
                created = editor.post("/api/v1/articles", json={"question": QUESTION,
                                                                "slug": SLUG})
                assert created.status_code == 201, created.text
            # Version 2: a note on the first bullet, so versions and diffs have two ends.
            content = live.service.content(SLUG, team.editor)["clinician"]
            section = next(i for i, s in enumerate(content.sections) if s.bullets)
            live.service.edit(team.editor, SLUG, revision=created.json()["revision"],
                              edit=ContentEdit(sections=[SectionEdit(section=section, bullets=[
                                  BulletEdit(source=i, note="checked" if i == 0 else None)
                                  for i in range(len(content.sections[section].bullets))])]))
            yield live
        db.dispose()
