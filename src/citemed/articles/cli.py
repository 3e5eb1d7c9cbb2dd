"""CLI commands of the editorial workflow; the root `citemed` app adds them with register().

Shared CLI pieces come from `citemed.cliutil`; this module never imports `citemed.cli`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from citemed.cliutil import LibraryOpt, make_settings, run_or_fail

if TYPE_CHECKING:
    from citemed.articles.db import Database
    from citemed.library import IngestReport, Library
    from citemed.settings import Settings

DatabaseOpt = Annotated[
    str | None,
    typer.Option("--database", help="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db "
                                    "(default: articles.sqlite in the library folder)."),
]

users_app = typer.Typer(help="Accounts of editors, reviewers and admins.", no_args_is_help=True)
articles_app = typer.Typer(help="Reviewed articles.", no_args_is_help=True)


def _settings(library: Path | None, database: str | None) -> Settings:
    return make_settings(library, database=database)


def _database(library: Path | None, database: str | None) -> Database:
    from citemed.articles.db import Database

    return Database.from_settings(_settings(library, database))


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Login name (a-z 0-9 . _ -).")],
    role: Annotated[str, typer.Option("--role", help="editor, reviewer or admin")] = "admin",
    name: Annotated[str, typer.Option("--name", help="Display name")] = "",
    credentials: Annotated[str, typer.Option("--credentials", help="e.g. MD, PhD")] = "",
    specialty: Annotated[str, typer.Option("--specialty")] = "",
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True,
                                          envvar="CITEMED_NEW_PASSWORD",
                                          help="Prompted for if not given.")] = "",
    library: LibraryOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Create an account (the first one is usually `citemed users add admin --role admin`)."""
    from citemed.articles.auth import Accounts

    def add():
        user = Accounts(_database(library, database)).add_user(
            username, password, role, display_name=name, credentials=credentials,
            specialty=specialty)
        typer.echo(f"created {user.role} {user.username!r}")

    run_or_fail(add)


@users_app.command("list")
def users_list(library: LibraryOpt = None, database: DatabaseOpt = None) -> None:
    """Accounts with role and status."""
    from citemed.articles.auth import Accounts

    for user in run_or_fail(lambda: Accounts(_database(library, database)).users()):
        status = "active" if user.active else "deactivated"
        typer.echo(f"{user.username}\t{user.role}\t{status}\t{user.byline}")


@articles_app.command("migrate")
def articles_migrate(library: LibraryOpt = None, database: DatabaseOpt = None) -> None:
    """Create or upgrade the articles database schema (also done on web startup)."""
    db = run_or_fail(lambda: _database(library, database))
    typer.echo(f"{db.safe_url}: schema at {db.schema_revision()}")


@articles_app.command("check-stale")
def articles_check_stale(
    library: LibraryOpt = None,
    database: DatabaseOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Re-ask even if the library is "
                                                        "unchanged since the last check.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Re-ask approved articles whose library changed; flag those whose verdict or top
    evidence would change ("New evidence: re-review")."""
    from citemed.articles.service import ArticleService
    from citemed.articles.staleness import check_stale
    from citemed.engine import Engine

    def run():
        settings = _settings(library, database)
        from citemed.articles.db import Database

        return check_stale(ArticleService(Database.from_settings(settings)), Engine(settings),
                           force=force)

    report = run_or_fail(run)
    if as_json:
        typer.echo(json.dumps(vars(report), indent=2))
        return
    typer.echo(f"library {report.library_version}: {len(report.checked)} re-asked, "
               f"{len(report.skipped)} unchanged library, {len(report.flagged)} flagged")
    for slug, reason in report.flagged.items():
        typer.echo(f"  {slug}: {reason}")


def backup_command(
    archive: Annotated[Path, typer.Argument(help="Output file, e.g. citemed-backup.tar.gz")],
    library: LibraryOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Back up the whole library folder: evidence, indexes and the SQLite articles database."""
    from citemed.articles.backup import backup

    settings = _settings(library, database)

    def run():
        # A SQLite articles file in the library folder is archived with the folder; any other
        # database (PostgreSQL) is exported table by table into the archive.
        outside = settings.database and not settings.database.startswith("sqlite")
        return backup(settings.library, archive,
                      database=_database(library, database) if outside else None)

    report = run_or_fail(run)
    typer.echo(f"{report.archive}: {report.files} files ({report.sqlite_files} SQLite snapshots), "
               f"{report.bytes / 1e6:,.1f} MB before compression")


def restore_command(
    archive: Annotated[Path, typer.Argument(help="A file written by `citemed backup`.")],
    library: LibraryOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Replace a non-empty library folder "
                                                        "(it is moved aside, not deleted).")] = False,
    database: DatabaseOpt = None,
) -> None:
    """Restore a library folder from a backup, verifying every file's checksum first (and an
    exported articles database into the empty --database)."""
    from citemed.articles.backup import restore
    from citemed.articles.db import Database

    settings = _settings(library, database)
    moved = run_or_fail(lambda: restore(archive, settings.library, force=force, database=Database(
        settings.database) if settings.database else None))
    typer.echo(f"restored {settings.library}" + (f" (previous folder kept at {moved})"
                                                 if moved else ""))


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.add_typer(articles_app, name="articles")
    app.command("backup")(backup_command)
    app.command("restore")(restore_command)


def report_stale_articles(library: Library, report: IngestReport | None = None) -> None:
    """The after-ingest hook (`citemed.hooks.after_ingest`): flag approved articles the new
    evidence would change, if this library has an articles database (nothing to do, and
    nothing created, otherwise)."""
    from citemed.articles.db import Database
    from citemed.articles.service import ArticleService
    from citemed.articles.staleness import check_stale
    from citemed.engine import Engine

    settings = library.settings
    if not settings.database and not (Path(settings.library) / "articles.sqlite").exists():
        return
    stale = check_stale(ArticleService(Database.from_settings(settings)),
                        Engine(settings, library))
    for slug, reason in stale.flagged.items():
        typer.echo(f"article {slug}: {reason}", err=True)
