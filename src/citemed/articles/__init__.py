"""Editorial workflow: accounts, articles with versions, review state machine, audit log.

Everything here talks to one SQL database through SQLAlchemy (a SQLite file in the library folder
by default, PostgreSQL for multi-user deployments); the schema is owned by the Alembic migrations
in `migrations/`, run on startup and by `citemed articles migrate`.
"""
