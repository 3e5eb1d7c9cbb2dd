"""Readers, one per input format, picked by name (`--format`) or detected from the path."""

from __future__ import annotations

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


__all__ = ["Deletion", "ReadItem", "Reader", "all_readers", "estimate_records", "reader_for"]
