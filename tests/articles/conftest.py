"""Fixtures for the articles suite: every database test runs on SQLite and, when
CITEMED_TEST_POSTGRES_URL is set (CI always sets it), on a fresh PostgreSQL database."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from citemed.articles.auth import Accounts
from citemed.articles.content import Content
from citemed.articles.db import Database
from citemed.articles.models import User
from citemed.articles.service import ArticleService
from citemed.engine import Engine
from citemed.library import Library
from citemed.model import (
    Answer,
    AnswerSection,
    Bullet,
    DirectAnswer,
    Generation,
    Quote,
    Reference,
    parse_sentence_id,
)
from citemed.web.app import create_app
from citemed.web.articles import ArticlesContext
from citemed.web.service import AnswerService

PASSWORD = "correct horse battery"
# Real argon2id, with cheaper parameters than production so that a test's five accounts hash in
# milliseconds on a busy 2-core machine.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
QUESTION = "Is aromatase inhibitor joint pain linked to estrogen deprivation?"
# The editorial workflow needs a page with bullets to edit, and the fixture library is tiny: the
# evidence reader's gate is lowered for these tests (the gate itself is tested in tests/unit).
WORKFLOW_READER_THRESHOLD = 0.05


def postgres_base_url() -> str:
    url = os.environ.get("CITEMED_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but CITEMED_TEST_POSTGRES_URL is not set: .ci/run must start "
                        "PostgreSQL (scripts/postgres.py) before the tests")
        pytest.skip("set CITEMED_TEST_POSTGRES_URL to run the PostgreSQL variant")
    return url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A brand-new PostgreSQL database for one test, dropped afterwards."""
    with fresh_postgres_database() as url:
        yield url


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    base = make_url(postgres_base_url()).set(drivername="postgresql+psycopg")
    name = f"citemed_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'lib' / 'articles.sqlite'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.migrate()
    yield database
    database.dispose()


@dataclass
class Team:
    editor: User
    editor2: User
    reviewer: User
    reviewer2: User
    admin: User


def make_team(accounts: Accounts) -> Team:
    return Team(
        editor=accounts.add_user("edna", PASSWORD, "editor", display_name="Edna Editor"),
        editor2=accounts.add_user("eddie", PASSWORD, "editor", display_name="Eddie Editor"),
        reviewer=accounts.add_user("rita", PASSWORD, "reviewer", display_name="Dr Rita Reyes",
                                   credentials="MD", specialty="Oncology"),
        reviewer2=accounts.add_user("ravi", PASSWORD, "reviewer", display_name="Dr Ravi Rao",
                                    credentials="MD PhD", specialty="Rheumatology"),
        admin=accounts.add_user("ada", PASSWORD, "admin", display_name="Ada Admin"),
    )


@pytest.fixture
def team(db: Database) -> Team:
    return make_team(Accounts(db, FAST_HASHER))


@pytest.fixture
def service(db: Database) -> ArticleService:
    return ArticleService(db)


@pytest.fixture
def engine(library: Library) -> Engine:
    return Engine(library.settings.model_copy(
        update={"reader_threshold": WORKFLOW_READER_THRESHOLD}), library)


@pytest.fixture
def engine_content(engine: Engine) -> Content:
    """The engine's own answer, one per audience, from the fixture library."""
    return {audience: engine.ask(QUESTION, audience=audience)
            for audience in ("clinician", "patient")}


def quote(library: Library, sid: str) -> Quote:
    doc_id, section_index, sentence_index = parse_sentence_id(sid)
    section = library.document(doc_id).sections[section_index]
    sentence = section.sentences[sentence_index]
    return Quote(sentence_id=sid, section=section.label, text=sentence.text,
                 start=sentence.start, end=sentence.end)


@pytest.fixture
def content(library: Library) -> Content:
    """A hand-built answer over the fixture library with two sections of several bullets (the
    composer's output shape changes as it improves; the workflow tests need a fixed one). Every
    quote is read from the store by sentence id, so the answer is traceable like a real one."""
    joint, exercise = "fixture:ai-joint", "fixture:ai-exercise"

    def bullet(text_from: str, citations: list[int], *more: str) -> Bullet:
        return Bullet(text=quote(library, text_from).text, citations=citations,
                      sentence_ids=[text_from, *more])

    def reference(number: int, doc_id: str, sids: list[str]) -> Reference:
        doc = library.document(doc_id)
        return Reference(number=number, document_id=doc_id, kind=doc.kind,
                         kind_label=doc.kind.label, title=doc.title, source=doc.source,
                         year=doc.year, pmid=doc.pmid, quotes=[quote(library, s) for s in sids])

    def answer(audience: str) -> Answer:
        return Answer(
            question=QUESTION, audience=audience, question_type="yesno",
            direct_answer=DirectAnswer(text=quote(library, f"{joint}#2.0").text, verdict="yes",
                                       citations=[1], sentence_ids=[f"{joint}#2.0"]),
            sections=[
                AnswerSection(facet="mechanism", title="Mechanism", bullets=[
                    bullet(f"{joint}#0.0", [1]), bullet(f"{joint}#0.1", [1])]),
                AnswerSection(facet="treatment", title="Treatment", bullets=[
                    bullet(f"{exercise}#0.0", [2]), bullet(f"{exercise}#1.0", [2]),
                    bullet(f"{joint}#1.1", [1, 2], f"{exercise}#1.0")]),
            ],
            references=[
                reference(1, joint, [f"{joint}#0.0", f"{joint}#0.1", f"{joint}#1.1",
                                     f"{joint}#2.0"]),
                reference(2, exercise, [f"{exercise}#0.0", f"{exercise}#1.0"])],
            generation=Generation(library_version=library.version))

    return {"clinician": answer("clinician"), "patient": answer("patient")}


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """One person's HTTP client with its own cookie jar, talking to the real ASGI app."""

    def __init__(self, app: FastAPI) -> None:
        self.client = TestClient(app, base_url="https://testserver", follow_redirects=False)

    def csrf(self, path: str = "/articles", form_action: str = "") -> str:
        page = self.client.get(path).text
        if form_action:  # the token of that form, not the logout form's
            page = page.split(f'action="{form_action}"', 1)[1]
        match = CSRF_RE.search(page)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, username: str, password: str = PASSWORD, next: str = "/articles"):
        token = self.csrf(f"/login?next={next}", form_action="/login")
        return self.client.post("/login", data={"username": username, "password": password,
                                                "csrf_token": token, "next": next})

    def post(self, path: str, data: dict[str, str] | None = None, csrf: bool = True):
        data = dict(data or {})
        if csrf:
            data["csrf_token"] = self.csrf()
        return self.client.post(path, data=data)


@pytest.fixture
def app(db: Database, engine: Engine) -> Iterator[FastAPI]:
    """The whole web app (create_app), with the articles database under test."""
    answers = AnswerService(engine.settings, engine=engine)
    application = create_app(engine.settings, service=answers)
    application.state.articles = ArticlesContext(engine.settings, db, FAST_HASHER)
    yield application
    answers.threads.close()


@pytest.fixture
def browser(app: FastAPI, team: Team) -> Callable[[], Browser]:
    """A factory of independent browsers; the team's accounts exist."""
    return lambda: Browser(app)
