"""The library folder API: ingest sources, read documents, keep derived indexes current.

Layout of a library folder:
    library.sqlite      documents, sections, sentence offsets, metadata (the truth)
    index/lexical/      BM25 segments, derived, stamped with the library version, updated in
                        place for changed documents (citemed.library.lexical_build)
    index/dense*        head embeddings and their HNSW graph, derived, stamped likewise
    index/status.json   progress of a background index build (citemed.library.builder)
    manifest.json       schema version, counts, models, library version (self-description)
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from citemed.errors import LibraryError
from citemed.library import embed, lexical_build
from citemed.library.dense import DenseIndex, head_texts, update_dense_index
from citemed.library.embed import MODEL_NAME, ProgressFactory
from citemed.library.lexical import UPGRADABLE_FORMAT, IndexFormatError, LexicalIndex
from citemed.library.store import IngestReport, SourceReport, Store
from citemed.model import Document
from citemed.settings import Settings
from citemed.sources import Reader, estimate_records, fingerprint
from citemed.sources import plan as plan_sources


class Library:
    def __init__(self, settings: Settings, *, create: bool = False) -> None:
        self.settings = settings
        self.folder = Path(settings.library)
        # A read-only folder (replica servers over one shared library) is only ever read: its
        # SQLite files are opened immutable and nothing, not even a cache, is written into it.
        self.read_only = settings.read_only_library()
        self.store = Store(self.folder, create=create, read_only=self.read_only)
        self._lexical: LexicalIndex | None = None
        self._dense: DenseIndex | None = None
        self._alignment: tuple[tuple[int, int], np.ndarray, np.ndarray] | None = None
        self._version: str | None = None

    def close(self) -> None:
        if self._lexical is not None:
            self._lexical.close()
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
        for reader, path in self.plan(paths, format, report):
            if reader_options and hasattr(reader, "configure"):
                reader.configure(**reader_options)
            stamp = self.path_stamp(reader, path, report, progress, force)
            if stamp is None:
                continue
            # The total (a reader's cheap estimate) gives the progress bar an ETA.
            tick = (progress(f"{reader.name}: {path.name}", estimate_records(reader, path))
                    if progress else None)
            self.ingest_read(reader, path, stamp, reader.read(path), report, tick)
        report.seconds += time.perf_counter() - started
        if refresh:
            self.refresh_indexes(progress=progress)
        return report

    @staticmethod
    def plan(paths: Iterable[Path], format: str | None,
             report: IngestReport) -> list[tuple[Reader, Path]]:
        """(reader, path) pairs for the given files and folders; unrecognised files are warned
        about in `report`."""
        pairs: list[tuple[Reader, Path]] = []
        for given in paths:
            found, unknown = plan_sources(Path(given), format)
            report.warnings += [f"{file}: skipped, no reader recognises it" for file in unknown]
            pairs += found
        return pairs

    def path_stamp(self, reader: Reader, path: Path, report: IngestReport,
                   progress: ProgressFactory | None, force: bool) -> str | None:
        """The fingerprint to record once `path` is read in full, or None when it was read in
        full before and has not changed (then it counts as unchanged in `report`)."""
        stamp = fingerprint(reader, path)
        state = self.store.file_state(_file_key(reader, path))
        if state is not None and state[0] == stamp and not force:
            report.source(reader.name).unchanged += state[1]
            report.unchanged_files.append(str(path))
            if progress:
                progress(f"{reader.name}: {path.name} (unchanged)", state[1])(state[1])
            return None
        return stamp

    def ingest_read(self, reader: Reader, path: Path, stamp: str, items: Iterable[object],
                    report: IngestReport, progress: Callable[[int], None] | None) -> None:
        """Store what `reader` read from `path`; record the path as read in full (skipped by
        the next ingest while unchanged) unless it had rejects."""
        rep = report.source(reader.name)
        before = (rep.added + rep.updated + rep.unchanged, rep.rejected)
        self.ingest_documents(items, source_name=reader.name, report=report, progress=progress)
        if rep.rejected == before[1]:  # files with rejects are read again, to report them again
            self.store.record_file(_file_key(reader, path), stamp,
                                   rep.added + rep.updated + rep.unchanged - before[0])

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
    #
    # Reads (`lexical`, `dense`) only load what is on disk; building happens in
    # `refresh_indexes` (ingest, `citemed demo`) or in the background builder
    # (citemed.library.builder), never inside a search.

    @property
    def version(self) -> str:
        if self._version is None:
            self._version = self.store.version()
        return self._version

    def refresh_indexes(self, *, force: bool = False, progress: ProgressFactory | None = None,
                        dense: bool = True) -> None:
        """Bring the derived indexes up to the store's version, then write the manifest (last:
        a server reopens the library when the manifest changes). `dense=False` leaves the dense
        index to a later `refresh_dense` (the demo serves BM25 answers meanwhile)."""
        self.refresh_lexical(force=force)
        if dense:
            self.refresh_dense(force=force, progress=progress)
        self.write_manifest()

    def refresh_lexical(self, *, force: bool = False) -> LexicalIndex:
        """Index new and changed documents and tombstone deleted ones (a full build only when
        there is no index, it has a format older than the upgradable one, or `force`)."""
        version = self.version
        folder = self._lexical_folder
        current = None if force else self.writable_lexical()
        if current is None:
            current = lexical_build.build(folder, self.store.iter_documents(), version=version)
            for legacy in ("lexical.npz", "lexical.json"):  # the whole-matrix index of format 2
                (folder.parent / legacy).unlink(missing_ok=True)
        elif current.version != version:
            current = lexical_build.update(current, self.store.id_hash_rows(),
                                           self.store.documents, version=version)
        self._lexical = current
        return current

    def merge_lexical(self) -> LexicalIndex:
        """Merge the lexical index's segments into one (on demand; updates merge by policy),
        upgrading an index of the previous format first."""
        self._lexical = lexical_build.merge(self.writable_lexical() or self.lexical)
        return self._lexical

    def writable_lexical(self) -> LexicalIndex | None:
        """The lexical index on disk, for a writer: one of the previous format is upgraded in
        place; None when there is none, or it is older than that (a full build)."""
        try:
            return LexicalIndex.load(self._lexical_folder)
        except IndexFormatError as error:
            if error.found == UPGRADABLE_FORMAT:
                return lexical_build.upgrade(self._lexical_folder)
            return None

    @property
    def _lexical_folder(self) -> Path:
        return self.folder / "index" / "lexical"

    def refresh_dense(self, *, force: bool = False,
                      progress: ProgressFactory | None = None) -> DenseIndex | None:
        """Embed new and changed documents into the dense index (see citemed.library.dense)."""
        if not dense_wanted(self.settings):
            return None
        version = self.version
        index_dir = self.folder / "index"
        current = self._load_dense()
        if force or current is None or current.version != version:
            current = update_dense_index(
                index_dir, self.store.id_hashes(),
                lambda ids: head_texts(self.store.documents(ids)), version=version,
                embed=lambda texts: embed.embed_heads(texts, self.settings.dense_cache,
                                                       device=self.settings.embed_device),
                ann_min_documents=self.settings.dense_ann_min_documents, force=force,
                progress=progress)
            current.graph_resident_mib = self.settings.dense_graph_resident_mib
        self._dense = current
        return current

    @property
    def lexical(self) -> LexicalIndex:
        """The BM25 index on disk (the last one built; a read never builds)."""
        if self._lexical is None:
            try:
                loaded = LexicalIndex.load(self._lexical_folder, read_only=self.read_only)
            except IndexFormatError as error:
                todo = (f"'citemed library merge --library {self.folder}' to upgrade it in "
                        f"place" if error.found == UPGRADABLE_FORMAT else
                        f"'citemed ingest PATH --library {self.folder}' (or 'citemed demo') to "
                        f"rebuild it")
                raise LibraryError(f"{error}: run {todo}") from None
            if loaded is None:
                # CiteMed before the segmented index kept one whole matrix here.
                what = ("a search index in an older format"
                        if (self.folder / "index" / "lexical.npz").exists()
                        else "no search index yet")
                raise LibraryError(
                    f"{self.folder} has {what}: run 'citemed ingest PATH "
                    f"--library {self.folder}' (or 'citemed demo') to build it")
            self._lexical = loaded
        return self._lexical

    @property
    def dense(self) -> DenseIndex | None:
        """The dense index when it is on and reflects the same library version as the lexical
        one (so their documents agree); None means lexical search only (a read never builds)."""
        if not self.settings.dense:
            return None
        if self._dense is None or self._dense.version != self.lexical.version:
            loaded = self._load_dense()
            if loaded is None or loaded.version != self.lexical.version:
                return None
            self._dense = loaded
        return self._dense

    def _load_dense(self) -> DenseIndex | None:
        return DenseIndex.load(self.folder / "index",
                               graph_resident_mib=self.settings.dense_graph_resident_mib)

    def dense_rows(self) -> tuple[DenseIndex, np.ndarray, np.ndarray] | None:
        """The dense index with its row of each lexical row (-1: none) and the lexical row of
        each dense row (-1: retired), computed once per pair of loaded indexes."""
        dense = self.dense
        if dense is None:
            return None
        lexical = self.lexical
        key = (id(lexical), id(dense))
        if self._alignment is None or self._alignment[0] != key:
            to_lexical = lexical.rows_of(dense.ids)  # retired rows (b"") are found nowhere
            to_dense = np.full(len(lexical.doc_ids), -1, dtype=np.int64)
            known = to_lexical >= 0
            to_dense[to_lexical[known]] = np.flatnonzero(known)
            self._alignment = (key, to_dense, to_lexical)
        return dense, self._alignment[1], self._alignment[2]

    def write_manifest(self) -> None:
        from citemed import __version__
        from citemed.library.store import SCHEMA_VERSION

        manifest = {
            "schema_version": SCHEMA_VERSION,
            "citemed_version": __version__,
            "library_version": self.version,
            "documents": len(self.store),
            "models": {"dense": MODEL_NAME} if self._dense is not None else {},
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


def _file_key(reader: Reader, path: Path) -> str:
    return f"{reader.name}:{path.resolve()}"


def dense_wanted(settings: Settings) -> bool:
    """Dense is on by default; without the 'dense' extra a library stays lexical unless dense
    was asked for explicitly (then the encoder says what to install)."""
    return settings.dense and (embed.available() or "dense" in settings.model_fields_set)


__all__ = ["IngestReport", "Library", "SourceReport", "Store", "dense_wanted"]
