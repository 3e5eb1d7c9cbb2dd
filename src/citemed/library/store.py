"""The library folder: SQLite (WAL) holds documents, sections and sentences; it is the truth.

Derived indexes (lexical BM25, dense vectors) live in `index/` and are stamped with the library
version they were built from, so a crash between a commit and an index rebuild only means the
index is rebuilt on the next open: nothing half-written is ever served.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from citemed.errors import LibraryError, NotFoundError, SourceError
from citemed.model import Document, Kind, Section, Sentence
from citemed.sqlite_wal import connect_immutable, use_wal

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    collection TEXT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    year INTEGER,
    pmid TEXT,
    doi TEXT,
    url TEXT,
    terms TEXT NOT NULL DEFAULT '[]',
    extra TEXT NOT NULL DEFAULT '{}',
    hash TEXT NOT NULL,
    origin TEXT NOT NULL DEFAULT '',
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_pmid ON documents(pmid);
CREATE INDEX IF NOT EXISTS documents_collection ON documents(collection);
CREATE TABLE IF NOT EXISTS sections (
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    label TEXT NOT NULL,
    text TEXT NOT NULL,
    sentences TEXT NOT NULL,  -- JSON [[start, end], ...]: offsets into text
    PRIMARY KEY (doc_id, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- Files read to the end without a rejected record: a re-ingest of the same bytes is skipped.
CREATE TABLE IF NOT EXISTS ingested_files (
    key TEXT PRIMARY KEY,          -- reader name and resolved path
    fingerprint TEXT NOT NULL,     -- reader revision, each file's size and mtime
    documents INTEGER NOT NULL,
    ingested_at REAL NOT NULL
);
"""


@dataclass
class SourceReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    deleted: int = 0


@dataclass
class IngestReport:
    by_source: dict[str, SourceReport] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Paths skipped because their files did not change since they were last read in full.
    unchanged_files: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def source(self, name: str) -> SourceReport:
        return self.by_source.setdefault(name, SourceReport())

    @property
    def total(self) -> SourceReport:
        total = SourceReport()
        for rep in self.by_source.values():
            for key in vars(total):
                setattr(total, key, getattr(total, key) + getattr(rep, key))
        return total


class Store:
    """Documents in SQLite. One transaction per batch: a kill -9 loses at most the open batch."""

    def __init__(self, folder: Path, *, create: bool = False, read_only: bool = False) -> None:
        self.folder = Path(folder)
        self.path = self.folder / "library.sqlite"
        self.read_only = read_only
        if not self.path.exists() and not create:
            raise LibraryError(
                f"no library at {self.folder}: run 'citemed ingest PATH --library {self.folder}' "
                "or 'citemed demo' first"
            )
        if read_only:
            if create:
                raise LibraryError(
                    f"the library folder {self.folder} is read-only: ingest into a writable "
                    "folder (servers over a read-only folder only read it, docs/replicas.md)")
            self.conn = connect_immutable(self.path)
            self._check_schema()
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        use_wal(self.conn)
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.executescript(_SCHEMA)
        if self.meta("schema_version") is None:
            self.set_meta("schema_version", str(SCHEMA_VERSION))
        self._check_schema()

    def _check_schema(self) -> None:
        found = self.meta("schema_version")
        if found is None or int(found) != SCHEMA_VERSION:
            raise LibraryError(
                f"{self.path}: library schema {found}, this CiteMed reads {SCHEMA_VERSION}; "
                "re-ingest into a new folder"
            )

    def close(self) -> None:
        self.conn.close()

    # ------------------------------------------------------------------ meta

    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def file_state(self, key: str) -> tuple[str, int] | None:
        """(fingerprint, documents) recorded when `key` was last read in full, if ever."""
        row = self.conn.execute(
            "SELECT fingerprint, documents FROM ingested_files WHERE key=?", (key,)).fetchone()
        return (row[0], row[1]) if row else None

    def record_file(self, key: str, fingerprint: str, documents: int) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO ingested_files(key, fingerprint, documents, ingested_at) "
            "VALUES (?,?,?,?)", (key, fingerprint, documents, time.time()))

    # ------------------------------------------------------------------ writing

    def ingest(
        self,
        items: Iterable[object],
        *,
        source_name: str,
        report: IngestReport,
        batch_size: int = 500,
        progress=None,
        max_field_chars: int = 200_000,
    ) -> IngestReport:
        """Store documents, apply deletions, record errors; one transaction per batch.

        A kill -9 at any point loses at most the open batch: every committed document has all
        its sections, and a re-run finds the committed ones unchanged (content hashes).
        """
        batch: list[object] = []
        for item in items:
            batch.append(item)
            if len(batch) >= batch_size:
                self._ingest_batch(batch, source_name, report, max_field_chars, progress)
                batch = []
        if batch:
            self._ingest_batch(batch, source_name, report, max_field_chars, progress)
        return report

    def _ingest_batch(self, batch: list[object], source_name: str, report: IngestReport,
                      max_field_chars: int, progress=None) -> None:
        from citemed.sources.base import Deletion

        rep = report.source(source_name)
        ids = list({item.id for item in batch if isinstance(item, Document)}
                   | {item.document_id for item in batch if isinstance(item, Deletion)})
        known = self._hashes(ids)
        doc_rows: list[tuple] = []
        section_rows: list[tuple] = []
        cur = self.conn.cursor()
        cur.execute("BEGIN")
        try:
            for item in batch:
                if isinstance(item, SourceError):
                    rep.rejected += 1
                    report.errors.append(str(item))
                elif isinstance(item, Deletion):
                    if known.pop(item.document_id, None) is not None:
                        _flush(cur, doc_rows, section_rows)  # a pending insert may be this id
                        cur.execute("DELETE FROM documents WHERE id=?", (item.document_id,))
                        rep.deleted += 1
                elif isinstance(item, Document):
                    for warning in limit_fields(item, max_field_chars):
                        report.warnings.append(f"{source_name}: {item.id}: {warning}")
                    digest = item.content_hash()
                    previous = known.get(item.id)
                    if previous == digest:
                        rep.unchanged += 1
                        continue
                    if previous is not None:
                        _flush(cur, doc_rows, section_rows)
                        cur.execute("DELETE FROM documents WHERE id=?", (item.id,))
                        rep.updated += 1
                    else:
                        rep.added += 1
                    doc_rows.append(_document_row(item, digest, source_name))
                    section_rows.extend(_section_rows(item))
                    known[item.id] = digest
                else:
                    raise TypeError(f"reader yielded {type(item).__name__}")
            _flush(cur, doc_rows, section_rows)
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        if progress is not None:
            # Records (documents and rejects), the unit readers estimate; deletions ride along.
            progress(sum(1 for item in batch if not isinstance(item, Deletion)))

    def _hashes(self, ids: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            found.update(self.conn.execute(
                f"SELECT id, hash FROM documents WHERE id IN ({marks})", chunk))
        return found

    # ------------------------------------------------------------------ reading

    def __len__(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]

    def id_hash_rows(self) -> Iterator[tuple[str, str]]:
        """(document id, content hash) of every document, in id order (no document loads)."""
        return iter(self.conn.execute("SELECT id, hash FROM documents ORDER BY id"))

    def id_hashes(self) -> dict[str, str]:
        """Document id -> content hash of every document, in id order."""
        return dict(self.id_hash_rows())

    def version(self) -> str:
        """Library version: a hash over every (id, content hash); answers record it."""
        digest = hashlib.sha256()
        for doc_id, doc_hash in self.id_hash_rows():
            digest.update(f"{doc_id}\0{doc_hash}\n".encode())
        return digest.hexdigest()[:16]

    def document(self, doc_id: str) -> Document:
        docs = self.documents([doc_id])
        if not docs:
            raise NotFoundError(f"no document {doc_id!r} in the library")
        return docs[0]

    def documents(self, ids: list[str]) -> list[Document]:
        """Documents in the order of `ids` (missing ids are skipped)."""
        if not ids:
            return []
        found: dict[str, Document] = {}
        for chunk_start in range(0, len(ids), 500):
            chunk = ids[chunk_start:chunk_start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(
                f"SELECT id, collection, kind, title, source, year, pmid, doi, url, terms, extra "
                f"FROM documents WHERE id IN ({marks})", chunk,
            ).fetchall()
            for row in rows:
                found[row[0]] = _row_to_document(row)
            for doc_id, _idx, label, text, spans in self.conn.execute(
                f"SELECT doc_id, idx, label, text, sentences FROM sections "
                f"WHERE doc_id IN ({marks}) ORDER BY doc_id, idx", chunk,
            ):
                found[doc_id].sections.append(_section(label, text, spans))
        return [found[i] for i in ids if i in found]

    def iter_documents(self, batch: int = 1000) -> Iterator[Document]:
        """Every document in id order, loaded in batches (for index builds and exports)."""
        last = ""
        while True:
            ids = [r[0] for r in self.conn.execute(
                "SELECT id FROM documents WHERE id > ? ORDER BY id LIMIT ?", (last, batch))]
            if not ids:
                return
            yield from self.documents(ids)
            last = ids[-1]

    def ids_by_kind(self, kind: Kind) -> list[str]:
        """Ids of every document of one kind, in id order."""
        return [r[0] for r in self.conn.execute(
            "SELECT id FROM documents WHERE kind=? ORDER BY id", (str(kind),))]

    def ids_by_pmid(self, pmid: str) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT id FROM documents WHERE pmid=?", (pmid,))]

    def stats(self) -> dict[str, object]:
        by_collection = dict(self.conn.execute(
            "SELECT collection, COUNT(*) FROM documents GROUP BY collection ORDER BY collection"))
        by_kind = dict(self.conn.execute(
            "SELECT kind, COUNT(*) FROM documents GROUP BY kind ORDER BY kind"))
        sentences = 0
        for (spans,) in self.conn.execute("SELECT sentences FROM sections"):
            sentences += spans.count("[") - 1 if spans != "[]" else 0
        size = sum(p.stat().st_size for p in self.folder.rglob("*") if p.is_file())
        return {
            "library": str(self.folder),
            "documents": len(self),
            "sentences": sentences,
            "by_source": by_collection,
            "by_kind": by_kind,
            "version": self.version(),
            "size_bytes": size,
        }


def _row_to_document(row: tuple) -> Document:
    return Document(
        id=row[0], collection=row[1], kind=Kind(row[2]), title=row[3], source=row[4],
        year=row[5], pmid=row[6], doi=row[7], url=row[8], terms=json.loads(row[9]),
        extra=json.loads(row[10]),
    )


def _section(label: str, text: str, spans_json: str) -> Section:
    spans = json.loads(spans_json)
    return Section(
        label=label,
        text=text,
        sentences=[Sentence(i, a, b, text[a:b]) for i, (a, b) in enumerate(spans)],
    )


# ---------------------------------------------------------------- writing helpers

TITLE_MAX_CHARS = 2_000
MAX_TERMS = 1_000


def limit_fields(doc: Document, max_chars: int) -> list[str]:
    """Truncate oversized fields in place; return one warning per truncation.

    A truncated section keeps only the sentences that end inside the cut, so offsets stay exact
    and sentence numbering (which citations use) does not move.
    """
    warnings: list[str] = []
    if len(doc.title) > TITLE_MAX_CHARS:
        warnings.append(f"title truncated from {len(doc.title):,} to {TITLE_MAX_CHARS:,} characters")
        doc.title = doc.title[:TITLE_MAX_CHARS]
    if len(doc.terms) > MAX_TERMS:
        warnings.append(f"{len(doc.terms):,} terms cut to the first {MAX_TERMS:,}")
        doc.terms = doc.terms[:MAX_TERMS]
    for index, section in enumerate(doc.sections):
        if len(section.text) > max_chars:
            warnings.append(f"section {index} {section.label[:80]!r} truncated from "
                            f"{len(section.text):,} to {max_chars:,} characters")
            section.text = section.text[:max_chars]
            section.sentences = [s for s in section.sentences if s.end <= max_chars]
        if len(section.label) > TITLE_MAX_CHARS:
            section.label = section.label[:TITLE_MAX_CHARS]
    return warnings


def _document_row(doc: Document, digest: str, origin: str) -> tuple:
    return (
        doc.id, doc.collection, str(doc.kind), doc.title, doc.source, doc.year, doc.pmid,
        doc.doi, doc.url, json.dumps(doc.terms, ensure_ascii=False),
        json.dumps(doc.extra, ensure_ascii=False, default=str), digest, origin, time.time(),
    )


def _section_rows(doc: Document) -> list[tuple]:
    return [
        (doc.id, i, s.label, s.text,
         "[" + ",".join(f"[{t.start},{t.end}]" for t in s.sentences) + "]")
        for i, s in enumerate(doc.sections)
    ]


def _flush(cur: sqlite3.Cursor, doc_rows: list[tuple], section_rows: list[tuple]) -> None:
    """Write the buffered inserts (one executemany each) inside the open transaction."""
    if doc_rows:
        cur.executemany(
            "INSERT INTO documents(id, collection, kind, title, source, year, pmid, doi, url, "
            "terms, extra, hash, origin, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            doc_rows)
        doc_rows.clear()
    if section_rows:
        cur.executemany(
            "INSERT INTO sections(doc_id, idx, label, text, sentences) VALUES (?,?,?,?,?)",
            section_rows)
        section_rows.clear()
