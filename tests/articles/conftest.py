"""Fixtures for the articles suite: every database test runs on SQLite and, when
CITEMED_TEST_POSTGRES_URL is set (CI always sets it), on a fresh PostgreSQL database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from citemed.articles.auth import Accounts
from citemed.articles.content import Content
from citemed.articles.db import Database
from citemed.articles.models import User
from citemed.articles.service import ArticleService
from citemed.engine import Engine
from citemed.library import Library

PASSWORD = "correct horse battery"
# Real argon2id, with cheaper parameters than production so that a test's five accounts hash in
# milliseconds on a busy 2-core machine.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
QUESTION = "Is aromatase inhibitor joint pain linked to estrogen deprivation?"


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


@pytest.fixture
def team(db: Database) -> Team:
    accounts = Accounts(db, FAST_HASHER)
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
def service(db: Database) -> ArticleService:
    return ArticleService(db)


@pytest.fixture
def engine(library: Library) -> Engine:
    return Engine(library.settings, library)


@pytest.fixture
def content(engine: Engine) -> Content:
    """A real composed answer, one per audience, from the fixture library."""
    return {audience: engine.ask(QUESTION, audience=audience)
            for audience in ("clinician", "patient")}
