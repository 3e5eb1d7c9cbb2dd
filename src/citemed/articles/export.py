"""Logical export/import of the articles database, for backups of deployments whose articles
live outside the library folder (PostgreSQL). One JSON document per table, rows in id order;
imported into an empty, migrated database, sequences moved past the imported ids."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Integer, Table, func, insert, select, text

from citemed.articles.db import Database
from citemed.articles.models import Base, LoginThrottle, WebSession
from citemed.errors import InputError


def exported_tables() -> list[Table]:
    """All tables but login state (sessions, failure counters): a restored backup must not bring
    old logins or lock-outs back."""
    skipped = {WebSession.__tablename__, LoginThrottle.__tablename__}
    return [t for t in Base.metadata.sorted_tables if t.name not in skipped]


def export_tables(db: Database) -> dict[str, Any]:
    """Every table's rows, read in one REPEATABLE READ transaction (a consistent snapshot)."""
    tables: dict[str, list[dict[str, Any]]] = {}
    connection = db.engine.connect()
    if db.dialect == "postgresql":
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
    with connection, connection.begin():
        for table in exported_tables():
            rows = connection.execute(select(table).order_by(*table.primary_key.columns))
            tables[table.name] = [
                {key: value.isoformat() if isinstance(value, datetime) else value
                 for key, value in row._mapping.items()} for row in rows]
    return {"schema_revision": db.schema_revision(), "dialect": db.dialect, "tables": tables}


def import_tables(db: Database, dump: dict[str, Any]) -> dict[str, int]:
    """Load an export into `db` (migrated here); refuses a database that already has rows."""
    db.migrate()
    if dump.get("schema_revision") != db.schema_revision():
        raise InputError(f"the export is at schema {dump.get('schema_revision')}, the database "
                         f"at {db.schema_revision()}; restore with the same CiteMed version")
    counts: dict[str, int] = {}
    with db.write_engine.begin() as connection:
        for table in Base.metadata.sorted_tables:
            if connection.execute(select(func.count()).select_from(table)).scalar():
                raise InputError(f"{db.safe_url}: table {table.name} is not empty; restore "
                                 "into an empty database")
        for table in exported_tables():
            dates = [c.name for c in table.columns if isinstance(c.type, DateTime)]
            rows = [{**row, **{name: datetime.fromisoformat(row[name])
                               for name in dates if row.get(name)}}
                    for row in dump["tables"].get(table.name, [])]
            if rows:
                connection.execute(insert(table), rows)
            counts[table.name] = len(rows)
            if db.dialect == "postgresql" and "id" in table.c and rows \
                    and isinstance(table.c.id.type, Integer):
                # Integer ids come from sequences: move them past the imported rows.
                connection.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT MAX(id) FROM {table.name}))"))
    return counts
