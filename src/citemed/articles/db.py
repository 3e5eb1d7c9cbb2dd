"""Database connection, sessions and migrations for the articles schema."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from citemed.errors import ConflictError, LibraryError
from citemed.settings import Settings
from citemed.sqlite_wal import use_wal

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_SECONDS = 30
MIGRATION_LOCK = 0x43_69_74_65  # arbitrary advisory-lock key for CiteMed migrations


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _sqlite_engine(url: str, begin: str) -> Engine:
    """SQLite with foreign keys, WAL and an explicit BEGIN: pysqlite's own transaction handling
    would otherwise start transactions late and make SAVEPOINT/locking behave unexpectedly."""
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS,
                                              "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
        cursor.execute("PRAGMA foreign_keys=ON")
        use_wal(cursor, SQLITE_BUSY_SECONDS)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        connection.exec_driver_sql(begin)

    return engine


class Database:
    """One database: a read engine and a write engine (the same one except on SQLite, where
    writers take the lock up front with BEGIN IMMEDIATE so that two concurrent writers queue
    instead of failing half-way with 'database is locked')."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        if parsed.drivername == "postgresql":  # plain postgresql:// means psycopg 3 here
            parsed = parsed.set(drivername="postgresql+psycopg")
        self.url = url = parsed.render_as_string(hide_password=False)
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            self.engine = _sqlite_engine(url, "BEGIN")
            self.write_engine = _sqlite_engine(url, "BEGIN IMMEDIATE")
        else:
            self.engine = create_engine(url, pool_pre_ping=True)
            self.write_engine = self.engine
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self.write_engine, expire_on_commit=False)

    @classmethod
    def from_settings(cls, settings: Settings, *, migrate: bool = True) -> Database:
        db = cls(settings.database_url())
        if migrate:
            db.migrate()
        return db

    def migrate(self, revision: str = "head") -> None:
        """Bring the schema to `revision`, the newest by default (idempotent)."""
        config = _alembic_config()
        with self.write_engine.begin() as connection:
            if self.dialect == "postgresql":
                # Several workers may start at once: one migrates, the others wait and find
                # the schema current (SQLite gets the same from BEGIN IMMEDIATE).
                connection.execute(text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
            config.attributes["connection"] = connection
            command.upgrade(config, revision)

    def schema_revision(self) -> str | None:
        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def check_schema(self) -> None:
        head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
        found = self.schema_revision()
        if found != head:
            raise LibraryError(f"articles database {self.safe_url} is at schema {found}, "
                               f"expected {head}: run 'citemed articles migrate'")

    @property
    def safe_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction that commits on success; lost races surface as ConflictError."""
        with self._write() as session:
            try:
                yield session
                session.commit()
            except StaleDataError as error:
                session.rollback()
                raise ConflictError(
                    "someone else changed this article at the same time and their change was "
                    "saved first; reload the article and apply your change again") from error
            except IntegrityError as error:
                session.rollback()
                raise ConflictError(f"conflicting change: {error.orig}") from error
            except OperationalError as error:
                session.rollback()
                if "locked" in str(error.orig):
                    raise ConflictError("the database is busy; try again") from error
                raise

    def dispose(self) -> None:
        self.engine.dispose()
        if self.write_engine is not self.engine:
            self.write_engine.dispose()
