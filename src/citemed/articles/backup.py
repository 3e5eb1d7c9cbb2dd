"""Backup and restore of a whole library folder (evidence store, indexes, articles database).

SQLite files are copied with SQLite's online backup API, so a backup taken while the web app is
writing is still a consistent snapshot; -wal/-shm files are never archived. Every file's SHA-256
goes into a manifest that restore verifies before it touches the destination."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from citemed.articles.db import Database
from citemed.articles.export import export_tables, import_tables
from citemed.errors import InputError

MANIFEST = "citemed-backup.json"
DATABASE_EXPORT = "articles-database.json"
SQLITE_MAGIC = b"SQLite format 3\x00"
SKIP_SUFFIXES = ("-wal", "-shm", "-journal")


@dataclass
class BackupReport:
    archive: Path
    files: int
    sqlite_files: int
    bytes: int


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _is_sqlite(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(16) == SQLITE_MAGIC


def _sqlite_snapshot(source: Path, target: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        # A standalone file: the restored copy must not expect a -wal beside it.
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()


def backup(library: Path, archive: Path, *, database: Database | None = None) -> BackupReport:
    """Archive `library`; with `database` (an articles database outside the folder, e.g.
    PostgreSQL) its tables are exported into the archive too."""
    library = Path(library)
    if not library.is_dir():
        raise InputError(f"{library}: no such library folder")
    archive = Path(archive)
    archive.parent.mkdir(parents=True, exist_ok=True)
    files: dict[str, dict[str, object]] = {}
    total_bytes = 0
    sqlite_files = 0
    with tempfile.TemporaryDirectory(dir=archive.parent) as scratch:
        partial = Path(scratch) / "partial.tar.gz"
        with tarfile.open(partial, "w:gz") as tar:
            for path in sorted(p for p in library.rglob("*") if p.is_file()):
                name = path.relative_to(library).as_posix()
                if name.endswith(SKIP_SUFFIXES):
                    continue
                source = path
                if _is_sqlite(path):
                    source = Path(scratch) / f"snapshot-{sqlite_files}.sqlite"
                    _sqlite_snapshot(path, source)
                    sqlite_files += 1
                size = source.stat().st_size
                files[name] = {"sha256": _sha256(source), "bytes": size}
                total_bytes += size
                tar.add(source, arcname=f"library/{name}")
            exported: dict[str, object] | None = None
            if database is not None:
                dump = Path(scratch) / DATABASE_EXPORT
                dump.write_text(json.dumps(export_tables(database), default=str))
                exported = {"file": DATABASE_EXPORT, "sha256": _sha256(dump),
                            "dialect": database.dialect}
                tar.add(dump, arcname=DATABASE_EXPORT)
            manifest = Path(scratch) / MANIFEST
            manifest.write_text(json.dumps({
                "format": 1, "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "source": str(library.resolve()), "files": files, "database": exported},
                indent=2))
            tar.add(manifest, arcname=MANIFEST)
        os.replace(partial, archive)  # never leave a half-written archive under the final name
    return BackupReport(archive, len(files), sqlite_files, total_bytes)


def restore(archive: Path, library: Path, *, force: bool = False,
            database: Database | None = None) -> Path | None:
    """Unpack into `library`. An existing non-empty folder is only replaced with force=True, and
    then moved aside (returned), never deleted. A backup holding a database export needs an
    empty target `database`, loaded before the folder is touched."""
    archive, library = Path(archive), Path(library)
    if not archive.is_file():
        raise InputError(f"{archive}: no such backup file")
    if library.exists() and any(library.iterdir()) and not force:
        raise InputError(f"{library} is not empty; pass --force to replace it (the current "
                         "folder is kept beside it)")
    library.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=library.parent) as scratch:
        try:
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(scratch, filter="data")  # no absolute paths, links or devices
        except (tarfile.TarError, OSError, EOFError) as error:
            raise InputError(f"{archive}: not a readable CiteMed backup ({error})") from error
        manifest_path = Path(scratch) / MANIFEST
        if not manifest_path.exists():
            raise InputError(f"{archive}: no {MANIFEST}; not a CiteMed backup")
        manifest = json.loads(manifest_path.read_text())
        unpacked = Path(scratch) / "library"
        for name, meta in manifest["files"].items():
            path = unpacked / name
            if not path.is_file() or _sha256(path) != meta["sha256"]:
                raise InputError(f"{archive}: {name} is missing or corrupt; nothing restored")
        exported = manifest.get("database")
        if exported:
            dump = Path(scratch) / exported["file"]
            if not dump.is_file() or _sha256(dump) != exported["sha256"]:
                raise InputError(f"{archive}: the database export is missing or corrupt")
            if database is None:
                raise InputError(f"{archive} holds a {exported['dialect']} articles database "
                                 "export; pass --database URL (an empty database) to restore it")
            import_tables(database, json.loads(dump.read_text()))
        unpacked.mkdir(exist_ok=True)
        moved_aside = None
        if library.exists() and not any(library.iterdir()):
            library.rmdir()
        elif library.exists():
            moved_aside = library.with_name(
                f"{library.name}.before-restore-{time.strftime('%Y%m%d-%H%M%S')}")
            os.replace(library, moved_aside)
        shutil.move(str(unpacked), str(library))
    return moved_aside
