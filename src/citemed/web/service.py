"""What the routes call: one warm Engine per process, an answer cache, and the thread store.

The Engine's SQLite connection and indexes are shared by every request thread (and by the
articles router), so every use of it takes the Engine's own lock; cached answers are served
without taking it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

from citemed.conversation import ThreadStore, Turn
from citemed.engine import Engine
from citemed.errors import InputError
from citemed.model import Answer, Audience, Document, Hit
from citemed.settings import Settings

CacheKey = tuple[str, str, str, tuple[str, ...]]


class AnswerCache:
    """A small thread-safe LRU of finished answers."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[CacheKey, Answer] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: CacheKey) -> Answer | None:
        with self._lock:
            answer = self._items.get(key)
            if answer is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return answer

    def put(self, key: CacheKey, answer: Answer) -> None:
        with self._lock:
            self._items[key] = answer
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


class AnswerService:
    def __init__(self, settings: Settings, *, engine: Engine | None = None,
                 cache_size: int = 512, threads: ThreadStore | None = None) -> None:
        self.settings = settings
        self.engine = engine or Engine(settings)
        self.cache = AnswerCache(cache_size)
        self.threads = threads or ThreadStore(self.engine.library.settings.threads_file())

    def close(self) -> None:
        self.threads.close()
        self.engine.close()

    @property
    def library_version(self) -> str:
        """The version of the library as it is on disk now (part of every cache key, so a new
        ingest never serves a stale answer)."""
        self.engine.follow_library()
        return self.engine.library.version

    def ask(self, question: str, audience: Audience,
            context: Sequence[Turn] = ()) -> Answer:
        """The answer for `question` after the given earlier turns, from cache when possible."""
        key: CacheKey = (" ".join(question.split()), audience, self.library_version,
                         tuple(turn.resolved_question for turn in context))
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        answer = self.engine.ask(question, audience=audience, context=list(context))
        self.cache.put(key, answer)
        return answer

    def search(self, query: str, *, k: int, audience: Audience) -> list[Hit]:
        return self.engine.search(query, k=k, audience=audience)

    def document_count(self) -> int:
        self.engine.follow_library()
        with self.engine.lock:
            return len(self.engine.library.store)

    def document(self, doc_id: str) -> Document:
        self.engine.follow_library()
        with self.engine.lock:
            return self.engine.library.document(doc_id)

    # ------------------------------------------------------------ conversation threads

    def start_thread(self, questions: Sequence[str], audience: Audience) -> tuple[str, Answer]:
        """A new thread holding `questions` in order; returns its id and the last answer.

        Every question is answered before the thread is stored, so a bad question leaves no
        half-made thread behind.
        """
        turns: list[Turn] = []
        answer: Answer | None = None
        for question in questions:
            answer = self.ask(question, audience, turns)
            turns.append(Turn(question=answer.question, resolved_question=answer.resolved_question))
        if answer is None:
            raise InputError("the question is empty")
        thread_id = self.threads.create()
        for turn in turns:
            self.threads.add_turn(thread_id, turn)
        return thread_id, answer

    def follow_up(self, thread_id: str, question: str, audience: Audience) -> tuple[int, Answer]:
        turns = self.threads.turns(thread_id)
        answer = self.ask(question, audience, turns)
        index = self.threads.add_turn(
            thread_id, Turn(question=answer.question, resolved_question=answer.resolved_question))
        return index, answer

    def thread(self, thread_id: str, audience: Audience) -> list[Answer]:
        """Every turn's answer for `audience`, each resolved against the turns before it."""
        turns = self.threads.turns(thread_id)
        return [self.ask(turn.question, audience, turns[:i]) for i, turn in enumerate(turns)]

    def warm(self) -> None:
        """Load indexes and the lay vocabulary now, so the first request is not the slow one."""
        self.engine.warm()
