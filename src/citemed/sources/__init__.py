"""Readers, one per input format, picked by name (`--format`) or detected from the path."""

from __future__ import annotations

import hashlib
from pathlib import Path

from citemed.errors import InputError
from citemed.sources.base import Deletion, Reader, ReadItem, estimate_records
from citemed.sources.bioasq import BioASQReader
from citemed.sources.guidelines import GuidelineReader, PDFReader
from citemed.sources.jats import JATSReader
from citemed.sources.medicationqa import MedicationQAReader
from citemed.sources.medquad import MedQuADReader
from citemed.sources.ngc import NGCReader
from citemed.sources.pubmed import PubMedReader
from citemed.sources.pubmedqa import PubMedQAReader
from citemed.sources.scifact import SciFactReader

# Bump when any reader's output changes, so files recorded as unchanged are read again.
READERS_REVISION = "2026-12-03.1"


def fingerprint(reader: Reader, path: Path) -> str:
    """Reader revision plus every file's size and mtime: equal means the same input."""
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    parts = [f"{READERS_REVISION}:{reader.name}"]
    for file in files:
        info = file.stat()
        parts.append(f"{file.relative_to(path) if path.is_dir() else file.name}:"
                     f"{info.st_size}:{info.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def all_readers() -> list[Reader]:
    """Every reader, most specific detection first."""
    return [PubMedReader(), JATSReader(), PubMedQAReader(), BioASQReader(), MedQuADReader(),
            MedicationQAReader(), NGCReader(), SciFactReader(), PDFReader(), GuidelineReader()]


def reader_for(path: Path, format: str | None = None) -> Reader:
    readers = all_readers()
    if format:
        for reader in readers:
            if reader.name == format:
                return reader
        names = ", ".join(r.name for r in readers)
        raise InputError(f"unknown format {format!r}; known formats: {names}")
    for reader in readers:
        if reader.detect(path):
            return reader
    raise InputError(f"{path}: no reader recognises this file; pass --format")


def plan(path: Path, format: str | None = None) -> tuple[list[tuple[Reader, Path]], list[Path]]:
    """(reader, path) pairs to ingest, and files no reader recognised.

    A file, or a folder one reader takes whole (a BioASQ folder, a PubMed baseline folder, a
    guideline folder), is one pair. Any other folder is planned child by child, so the shared
    data root or a user's mixed export can be ingested in one command.
    """
    if format or not path.is_dir():
        return [(reader_for(path, format), path)], []
    readers = all_readers()
    for reader in readers:
        if reader.detect(path):
            return [(reader, path)], []
    pairs: list[tuple[Reader, Path]] = []
    unknown: list[Path] = []
    for child in sorted(path.iterdir()):
        if child.name.startswith("."):
            continue
        if child.is_dir():
            child_pairs, child_unknown = plan(child)
            pairs += child_pairs
            unknown += child_unknown
            continue
        found = next((r for r in readers if r.detect(child)), None)
        if found is None:
            unknown.append(child)
        else:
            pairs.append((found, child))
    return pairs, unknown


__all__ = ["Deletion", "ReadItem", "Reader", "all_readers", "estimate_records", "fingerprint",
           "plan", "reader_for"]
