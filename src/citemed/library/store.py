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

    def __init__(self, folder: Path, *, create: bool = False) -> None:
        self.folder = Path(folder)
        self.path = self.folder / "library.sqlite"
        if not self.path.exists() and not create:
            raise LibraryError(
                f"no library at {self.folder}: run 'citemed ingest PATH --library {self.folder}' "
                "or 'citemed demo' first"
            )
        self.folder.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.executescript(_SCHEMA)
        found = self.meta("schema_version")
        if found is None:
            self.set_meta("schema_version", str(SCHEMA_VERSION))
        elif int(found) != SCHEMA_VERSION:
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

    # ------------------------------------------------------------------ writing

    def ingest(
        self,
        items: Iterable[object],
        *,
        source_name: str,
        report: IngestReport,
        batch_size: int = 500,
        progress=None,
    ) -> IngestReport:
        """Store documents, apply deletions, record errors; commit every `batch_size` items."""
        from citemed.sources.base import Deletion

        cur = self.conn.cursor()
        rep = report.source(source_name)
        pending = 0
        known = dict(self.conn.execute("SELECT id, hash FROM documents"))
        cur.execute("BEGIN")
        try:
            for item in items:
                if isinstance(item, SourceError):
                    rep.rejected += 1
                    report.errors.append(str(item))
                elif isinstance(item, Deletion):
                    if item.document_id in known:
                        cur.execute("DELETE FROM documents WHERE id=?", (item.document_id,))
                        del known[item.document_id]
                        rep.deleted += 1
                elif isinstance(item, Document):
                    digest = item.content_hash()
                    previous = known.get(item.id)
                    if previous == digest:
                        rep.unchanged += 1
                    else:
                        if previous is not None:
                            cur.execute("DELETE FROM documents WHERE id=?", (item.id,))
                            rep.updated += 1
                        else:
                            rep.added += 1
                        self._insert(cur, item, digest, source_name)
                        known[item.id] = digest
                else:
                    raise TypeError(f"reader yielded {type(item).__name__}")
                pending += 1
                if progress is not None:
                    progress(1)
                if pending >= batch_size:
                    cur.execute("COMMIT")
                    cur.execute("BEGIN")
                    pending = 0
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        return report

    def _insert(self, cur: sqlite3.Cursor, doc: Document, digest: str, origin: str) -> None:
        cur.execute(
            "INSERT INTO documents(id, collection, kind, title, source, year, pmid, doi, url, "
            "terms, extra, hash, origin, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                doc.id, doc.collection, str(doc.kind), doc.title, doc.source, doc.year, doc.pmid,
                doc.doi, doc.url, json.dumps(doc.terms, ensure_ascii=False),
                json.dumps(doc.extra, ensure_ascii=False, default=str), digest, origin, time.time(),
            ),
        )
        cur.executemany(
            "INSERT INTO sections(doc_id, idx, label, text, sentences) VALUES (?,?,?,?,?)",
            [
                (doc.id, i, s.label, s.text, json.dumps([[t.start, t.end] for t in s.sentences]))
                for i, s in enumerate(doc.sections)
            ],
        )

    # ------------------------------------------------------------------ reading

    def __len__(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]

    def version(self) -> str:
        """Library version: a hash over every (id, content hash); answers record it."""
        digest = hashlib.sha256()
        for doc_id, doc_hash in self.conn.execute("SELECT id, hash FROM documents ORDER BY id"):
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
