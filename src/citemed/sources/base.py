"""The reader interface: every input format becomes a stream of Documents.

A reader yields `Document`s, `Deletion`s (PubMed DeleteCitation) and `SourceError`s for records
it had to skip, so one bad record never loses the rest of a file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from citemed.errors import SourceError
from citemed.model import Document, Section
from citemed.text import split_sentences


@dataclass(slots=True)
class Deletion:
    document_id: str
    path: str


ReadItem = Document | Deletion | SourceError


class Reader(Protocol):
    name: str

    def detect(self, path: Path) -> bool:
        """True when this reader recognises the file (or folder)."""
        ...

    def read(self, path: Path) -> Iterator[ReadItem]:
        ...


def make_section(label: str, text: str, *, max_chars: int = 200_000, warn=None) -> Section:
    """A section with its sentences split; oversized text is truncated with a warning."""
    if len(text) > max_chars:
        if warn is not None:
            warn(f"section {label!r} truncated from {len(text)} to {max_chars} characters")
        text = text[:max_chars]
    return Section(label=label, text=text, sentences=split_sentences(text))
