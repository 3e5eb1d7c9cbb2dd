"""Named hooks between layers that must not import each other.

A lower layer announces that something happened (evidence was ingested); whoever cares
subscribes, wired explicitly by the composition root (`citemed.cli`), never by import side
effects. `citemed ingest` therefore knows nothing about the editorial workflow that reacts to it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Subscriber = Callable[..., None]


class Hook:
    """An ordered list of subscribers called with the same arguments by `emit`."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> Subscriber:
        """Add `subscriber` once (usable as a decorator); subscribing twice is a no-op."""
        if subscriber not in self._subscribers:
            self._subscribers.append(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        if subscriber in self._subscribers:
            self._subscribers.remove(subscriber)

    @property
    def subscribers(self) -> tuple[Subscriber, ...]:
        return tuple(self._subscribers)

    def emit(self, *args: Any, **kwargs: Any) -> None:
        for subscriber in list(self._subscribers):
            subscriber(*args, **kwargs)


# Called as after_ingest(library, report) once an ingest has committed new evidence.
after_ingest = Hook("after_ingest")
