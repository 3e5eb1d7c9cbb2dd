"""User-facing errors: the CLI prints the message and exits non-zero; the API maps them to 4xx."""

from __future__ import annotations


class CiteMedError(Exception):
    """Base class for errors whose message is meant for the user."""

    status_code = 400


class InputError(CiteMedError):
    """A question, file or record the user gave us is not usable."""


class SourceError(CiteMedError):
    """A source file or record is malformed; the message names the file and record position."""

    def __init__(self, path: str, message: str, record: str | int | None = None) -> None:
        self.path = path
        self.message = message
        self.record = record
        where = f"{path}" if record is None else f"{path} [record {record}]"
        super().__init__(f"{where}: {message}")

    def __reduce__(self):
        # Rejects cross process boundaries (cluster ingest): rebuild from the parts, not from
        # the formatted message that Exception pickles by default.
        return (type(self), (self.path, self.message, self.record))


class LibraryError(CiteMedError):
    """The library folder is missing, empty, or from an incompatible schema."""

    status_code = 409


class NotFoundError(CiteMedError):
    status_code = 404


class PermissionDenied(CiteMedError):
    status_code = 403


class ConflictError(CiteMedError):
    status_code = 409
