"""Shared loop for the JSON-lines corpora: one record per line, bad lines reported and skipped."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from citemed.errors import SourceError
from citemed.model import Document
from citemed.sources.base import ReadItem, count_lines, first_json_record, iter_jsonl


class JsonLinesReader:
    """Subclasses set `name` and `signature` (keys that identify the format) and build documents."""

    name = ""
    signature: frozenset[str] = frozenset()

    def detect(self, path: Path) -> bool:
        if path.suffix != ".jsonl":
            return False
        record = first_json_record(path)
        return record is not None and self.signature <= record.keys()

    def estimate(self, path: Path) -> int:
        return count_lines(path)

    def read(self, path: Path) -> Iterator[ReadItem]:
        for item in iter_jsonl(path):
            if isinstance(item, SourceError):
                yield item
                continue
            line_no, record = item
            try:
                yield self.document(record)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                what = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
                yield SourceError(str(path), f"bad record: {what}", line_no)

    def document(self, record: dict) -> Document:
        raise NotImplementedError
