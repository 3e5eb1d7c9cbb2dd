"""The reader interface: every input format becomes a stream of Documents.

A reader yields `Document`s, `Deletion`s (PubMed DeleteCitation) and `SourceError`s for records
it had to skip, so one bad record never loses the rest of a file. A reader may also offer
`estimate(path) -> int | None`, a cheap record count used only for the progress bar's ETA.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from citemed.errors import SourceError
from citemed.model import Document, Section, Sentence
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


# Suffixes of files some reader could take: a folder is read whole by one reader only when all
# such files in it are that reader's kind (licence and readme .txt files do not count).
INPUT_SUFFIXES = (".json", ".jsonl", ".xml", ".gz", ".nxml", ".html", ".htm", ".pdf", ".md",
                  ".markdown")


def folder_holds_only(folder: Path, suffixes: tuple[str, ...]) -> bool:
    """True when the folder has input files and every one of them ends with `suffixes`."""
    inputs = [p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")
              and p.name.lower().endswith(INPUT_SUFFIXES)]
    return bool(inputs) and all(p.name.lower().endswith(suffixes) for p in inputs)


class FileOrFolderReader:
    """A reader of single files that also takes a folder of them, read in name order.

    NLM ships PubMed as ~1,200 baseline files in one folder, PMC bulk packages as folders of
    articles. Subclasses implement the `*_file` methods. In a folder, a file with the right
    suffix that the reader does not recognise is reported, not silently skipped.
    """

    name = ""
    suffixes: tuple[str, ...] = ()

    def detect_file(self, path: Path) -> bool:
        raise NotImplementedError

    def estimate_file(self, path: Path) -> int:
        raise NotImplementedError

    def read_file(self, path: Path) -> Iterator[ReadItem]:
        raise NotImplementedError

    def files(self, path: Path) -> list[Path]:
        if not path.is_dir():
            return [path]
        return sorted(p for p in path.rglob("*") if p.is_file() and p.name.endswith(self.suffixes))

    def detect(self, path: Path) -> bool:
        if path.is_dir():
            return folder_holds_only(path, self.suffixes) and self.detect_file(self.files(path)[0])
        return path.name.endswith(self.suffixes) and self.detect_file(path)

    def estimate(self, path: Path) -> int:
        """Exact for one file; for a folder, the first file's count times the file count."""
        files = self.files(path)
        return self.estimate_file(files[0]) * len(files) if files else 0

    def read(self, path: Path) -> Iterator[ReadItem]:
        for file in self.files(path):
            yield from self.read_member(file, in_folder=path.is_dir())

    def read_member(self, file: Path, *, in_folder: bool) -> Iterator[ReadItem]:
        """One file of `files(path)`; a cluster ingest reads a folder's files as separate tasks."""
        if in_folder and not self.detect_file(file):
            yield SourceError(str(file), f"not {self.name} input; ingest it on its own or "
                              "with --format")
            return
        yield from self.read_file(file)


def estimate_records(reader: Reader, path: Path) -> int | None:
    """The reader's cheap record count for `path`, or None when it offers none."""
    estimate = getattr(reader, "estimate", None)
    if estimate is None:
        return None
    try:
        return estimate(path)
    except OSError:
        return None


def make_section(label: str, text: str, *, max_chars: int | None = None, warn=None) -> Section:
    """A section with its sentences split.

    The store truncates oversized sections (with a warning in the ingest report), so readers
    need no limit; `max_chars` is for callers that want one earlier.
    """
    if max_chars is not None and len(text) > max_chars:
        if warn is not None:
            warn(f"section {label!r} truncated from {len(text)} to {max_chars} characters")
        text = text[:max_chars]
    return Section(label=label, text=text, sentences=split_sentences(text))


def section_from_sentences(label: str, sentences: list[str]) -> Section:
    """A section whose sentence boundaries are given by the source (SciFact), not guessed.

    Each given sentence becomes exactly one Sentence, in order, joined by single spaces, so the
    source's own sentence numbering is preserved.
    """
    parts: list[str] = []
    spans: list[Sentence] = []
    cursor = 0
    for raw in sentences:
        text = " ".join(raw.split())
        if cursor:
            cursor += 1  # the joining space
        spans.append(Sentence(len(spans), cursor, cursor + len(text), text))
        parts.append(text)
        cursor += len(text)
    return Section(label=label, text=" ".join(parts), sentences=spans)


_INLINE_BULLET = re.compile(r"[ \t]{2,}-[ \t]+")


def clean_layout(text: str) -> str:
    """Undo XML pretty-printing: every source line is a paragraph, inline '   - ' starts a bullet.

    The result uses blank lines between paragraphs and '\\n- ' for bullets, which the sentence
    splitter treats as hard boundaries, so a list item never merges with the next one.
    """
    paragraphs: list[str] = []
    for line in text.split("\n"):
        if "-" in line and "  " in line:
            line = _INLINE_BULLET.sub("\n- ", line)
        items = [" ".join(part.split()) for part in line.split("\n")]
        items = [item for item in items if item]
        if items:
            paragraphs.append("\n".join(items))
    return "\n\n".join(paragraphs)


MAX_LINE_CHARS = 64 * 1024 * 1024


def iter_jsonl(path: Path, max_line_chars: int = MAX_LINE_CHARS
               ) -> Iterator[tuple[int, dict] | SourceError]:
    """(line number, object) for every non-blank line; a SourceError for lines that are not.

    A line longer than `max_line_chars` is skipped without being held in memory whole.
    """
    try:
        handle = path.open("r", encoding="utf-8", errors="strict")
    except OSError as exc:
        yield SourceError(str(path), f"cannot open: {exc}")
        return
    with handle:
        line_no = 0
        while True:
            line_no += 1
            try:
                line = handle.readline(max_line_chars)
                if len(line) == max_line_chars and not line.endswith("\n"):
                    while (rest := handle.readline(max_line_chars)) and not rest.endswith("\n"):
                        pass
                    yield SourceError(str(path), f"line longer than {max_line_chars:,} "
                                      "characters skipped", line_no)
                    continue
            except UnicodeDecodeError as exc:
                yield SourceError(str(path), f"not UTF-8 text ({exc.reason})", line_no)
                return
            if not line:
                return
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                yield SourceError(str(path), f"invalid JSON ({exc})", line_no)
                continue
            if not isinstance(record, dict):
                yield SourceError(str(path), "expected a JSON object", line_no)
                continue
            yield line_no, record


def count_lines(path: Path) -> int:
    """Line count read in 1 MiB blocks: about 10 ms per 30 MB, cheap enough for an ETA."""
    count = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            count += block.count(b"\n")
    return count


def first_json_record(path: Path) -> dict | None:
    """The first line of a JSONL file as an object, for format detection (None if it is not)."""
    if not path.is_file():
        return None
    try:
        with path.open("r", encoding="utf-8") as handle:
            record = json.loads(handle.readline(1 << 20))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def text_field(record: dict, key: str, *, required: bool = False) -> str:
    """A string field, stripped; missing or null gives '' unless required."""
    value = record.get(key)
    if value is None:
        if required:
            raise KeyError(key)
        return ""
    if not isinstance(value, str):
        raise TypeError(f"field {key!r} should be text, got {type(value).__name__}")
    if required and not value.strip():
        raise ValueError(f"field {key!r} is empty")
    return value.strip()
