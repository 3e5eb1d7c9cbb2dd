"""Readers that fail on purpose inside Ray workers (imported there by reference: the workers'
PYTHONPATH holds the checkout, see bench/ray_cluster.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from citemed.sources import ReadItem
from citemed.sources.pubmed import PubMedReader


class LoggingReader(PubMedReader):
    """The PubMed reader that appends the name of every file it starts reading to `log`."""

    def __init__(self, log: Path) -> None:
        self.log = log

    def read_file(self, path: Path) -> Iterator[ReadItem]:
        with self.log.open("a") as out:
            out.write(f"{path.name}\n")
        yield from super().read_file(path)


class DiesOnce(LoggingReader):
    """Kills its worker process (os._exit) on the first read of `victim`: `marker` records
    that the first attempt happened, so Ray's retry reads the file normally."""

    def __init__(self, log: Path, victim: str, marker: Path) -> None:
        super().__init__(log)
        self.victim = victim
        self.marker = marker

    def read_file(self, path: Path) -> Iterator[ReadItem]:
        if path.name == self.victim and not self.marker.exists():
            self.marker.touch()
            os._exit(1)
        yield from super().read_file(path)


class FailsOn(LoggingReader):
    """Raises on `victim`: a reader error, which Ray does not retry."""

    def __init__(self, log: Path, victim: str) -> None:
        super().__init__(log)
        self.victim = victim

    def read_file(self, path: Path) -> Iterator[ReadItem]:
        if path.name == self.victim:
            raise RuntimeError(f"planted failure reading {path.name}")
        yield from super().read_file(path)
