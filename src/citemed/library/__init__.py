"""The library folder API: ingest sources, read documents, keep derived indexes current.

Layout of a library folder:
    library.sqlite      documents, sections, sentence offsets, metadata (the truth)
    index/lexical.*     BM25 matrix, derived, stamped with the library version
    index/dense.*       embeddings, derived, stamped likewise
    manifest.json       schema version, counts, models, library version (self-description)
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from citemed.library.lexical import LexicalIndex
from citemed.library.store import IngestReport, SourceReport, Store
from citemed.model import Document
from citemed.settings import Settings
from citemed.sources import estimate_records, fingerprint
from citemed.sources import plan as plan_sources

ProgressFactory = Callable[[str, int | None], Callable[[int], None]]


class Library:
    def __init__(self, settings: Settings, *, create: bool = False) -> None:
        self.settings = settings
        self.folder = Path(settings.library)
        self.store = Store(self.folder, create=create)
        self._lexical: LexicalIndex | None = None
        self._version: str | None = None

    def close(self) -> None:
        self.store.close()

    # ------------------------------------------------------------------ ingest

    def ingest_paths(
        self,
        paths: Iterable[Path],
        *,
        format: str | None = None,
        progress: ProgressFactory | None = None,
        reader_options: dict | None = None,
        report: IngestReport | None = None,
        refresh: bool = True,
        force: bool = False,
    ) -> IngestReport:
        """Ingest files or folders; `refresh=False` defers index rebuilds to the caller.

        A path read in full before without rejects, whose files have the same sizes and mtimes
        (and reader revision), is skipped; `force=True` reads it again (content hashes still
        make that a no-op for unchanged records).
        """
        report = report or IngestReport()
        started = time.perf_counter()
        for given in paths:
            pairs, unknown = plan_sources(Path(given), format)
            report.warnings += [f"{file}: skipped, no reader recognises it" for file in unknown]
            for reader, path in pairs:
                if reader_options and hasattr(reader, "configure"):
                    reader.configure(**reader_options)
                self._ingest_path(reader, path, report, progress, force)
        report.seconds += time.perf_counter() - started
        if refresh:
            self.refresh_indexes(progress=progress)
        return report

    def _ingest_path(self, reader, path: Path, report: IngestReport,
                     progress: ProgressFactory | None, force: bool) -> None:
        key = f"{reader.name}:{path.resolve()}"
        stamp = fingerprint(reader, path)
        state = self.store.file_state(key)
        rep = report.source(reader.name)
        if state is not None and state[0] == stamp and not force:
            rep.unchanged += state[1]
            report.unchanged_files.append(str(path))
            if progress:
                progress(f"{reader.name}: {path.name} (unchanged)", state[1])(state[1])
            return
        before = (rep.added + rep.updated + rep.unchanged, rep.rejected)
        # The total (a reader's cheap estimate) gives the progress bar an ETA.
        tick = (progress(f"{reader.name}: {path.name}", estimate_records(reader, path))
                if progress else None)
        self.ingest_documents(reader.read(path), source_name=reader.name, report=report,
                              progress=tick)
        if rep.rejected == before[1]:  # files with rejects are read again, to report them again
            self.store.record_file(key, stamp, rep.added + rep.updated + rep.unchanged - before[0])

    def ingest_documents(
        self, items: Iterable[object], *, source_name: str, report: IngestReport | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> IngestReport:
        report = report or IngestReport()
        self.store.ingest(items, source_name=source_name, report=report,
                          batch_size=self.settings.batch_size, progress=progress,
                          max_field_chars=self.settings.max_field_chars)
        self._version = None
        return report

    # ------------------------------------------------------------------ indexes

    @property
    def version(self) -> str:
        if self._version is None:
            self._version = self.store.version()
        return self._version

    def refresh_indexes(self, *, force: bool = False,
                        progress: ProgressFactory | None = None) -> None:
        """Rebuild derived indexes whose stamp differs from the store's current version."""
        version = self.version
        index_dir = self.folder / "index"
        current = LexicalIndex.load(index_dir)
        if force or current is None or current.version != version:
            current = LexicalIndex.build(self.store.iter_documents(), version=version)
            current.save(index_dir)
        self._lexical = current
        from citemed.retrieve.dense import refresh_dense_index

        refresh_dense_index(self, force=force, progress=progress)
        self.write_manifest()

    @property
    def lexical(self) -> LexicalIndex:
        if self._lexical is None:
            loaded = LexicalIndex.load(self.folder / "index")
            if loaded is None or loaded.version != self.version:
                self.refresh_indexes()
            else:
                self._lexical = loaded
        assert self._lexical is not None
        return self._lexical

    def write_manifest(self) -> None:
        from citemed import __version__
        from citemed.library.store import SCHEMA_VERSION

        manifest = {
            "schema_version": SCHEMA_VERSION,
            "citemed_version": __version__,
            "library_version": self.version,
            "documents": len(self.store),
            "models": _model_ids(self.folder / "index"),
            "written_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        tmp = self.folder / "manifest.tmp.json"
        tmp.write_text(json.dumps(manifest, indent=2))
        os.replace(tmp, self.folder / "manifest.json")

    # ------------------------------------------------------------------ reading

    def document(self, doc_id: str) -> Document:
        return self.store.document(doc_id)

    def documents(self, ids: list[str]) -> list[Document]:
        return self.store.documents(ids)

    def stats(self) -> dict[str, object]:
        return self.store.stats()


def _model_ids(index_dir: Path) -> dict[str, str]:
    meta = index_dir / "dense.json"
    if meta.exists():
        return {"dense": json.loads(meta.read_text()).get("model", "")}
    return {}


__all__ = ["IngestReport", "Library", "SourceReport", "Store"]
