"""The library API that the CLI and the web app are thin layers over.

    engine = Engine(Settings())
    engine.ask("Is X linked to Y?", audience="patient")  -> Answer
    engine.search("X and Y", k=10)                       -> list[Hit]
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from citemed import __version__
from citemed.audience import adapt
from citemed.audience.abbreviations import explain
from citemed.audience.vocabulary import library_vocabulary
from citemed.compose import compose
from citemed.compose.llm import LLMVerdictReader
from citemed.conversation import Turn, resolve_followup
from citemed.errors import InputError
from citemed.library import Library
from citemed.model import Answer, Audience, Hit
from citemed.readers import EvidenceReader
from citemed.readers import evidence_reader as load_evidence_reader
from citemed.readers import require as require_reader
from citemed.retrieve import search as retrieve_search
from citemed.settings import Settings

MAX_QUESTION_CHARS = 2000


def check_question(question: str) -> str:
    """Reject empty, oversized or binary questions with a message the user can act on."""
    if question is None or not question.strip():
        raise InputError("the question is empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise InputError(
            f"the question is {len(question)} characters long; the limit is {MAX_QUESTION_CHARS}"
        )
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in question) or "\ufffd" in question:
        raise InputError("the question contains binary or control characters")
    return " ".join(question.split())


def manifest_stamp(folder: Path) -> tuple[int, int, int] | None:
    """What changes when `Library.refresh_indexes` rewrites manifest.json (os.replace)."""
    try:
        stat = (folder / "manifest.json").stat()
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


class Engine:
    def __init__(self, settings: Settings | None = None, library: Library | None = None) -> None:
        self.settings = settings or Settings()
        self.library = library or Library(self.settings)
        self._lay_vocabulary: tuple[str, dict[str, str]] | None = None
        # One SQLite connection and shared indexes: callers in several threads (the web app and
        # the articles router share one Engine) take turns. Reentrant because ask() searches.
        self.lock = threading.RLock()
        self._manifest_stamp = manifest_stamp(self.library.folder)
        self._library_checked_at = time.monotonic()
        self.verdict_reader = (
            LLMVerdictReader(self.settings.llm_base_url, self.settings.llm_model,
                             api_key=self.settings.llm_api_key,
                             timeout=self.settings.llm_timeout_seconds)
            if self.settings.llm_base_url and self.settings.llm_model else None)

    def follow_library(self) -> bool:
        """Reopen the library if another process changed it (`citemed ingest` while a server
        runs); True when it did. Cheap enough for every request: at most one stat() of
        manifest.json per `settings.library_check_seconds`. The manifest is written last by
        `Library.refresh_indexes`, so when it changes the new indexes are complete."""
        now = time.monotonic()
        if now - self._library_checked_at < self.settings.library_check_seconds:
            return False
        with self.lock:
            self._library_checked_at = now
            stamp = manifest_stamp(self.library.folder)
            if stamp == self._manifest_stamp:
                return False
            self._manifest_stamp = stamp
            # A fresh Library rather than clearing the old one's caches: its version, indexes
            # and connection all start from what is on disk now. The old one is left to the
            # garbage collector, not closed, in case a caller still holds it mid-read.
            self.library = Library(self.library.settings)
            self.warm()
            return True

    def warm(self) -> None:
        """Load the indexes, the question encoder and the lay vocabulary now rather than in the
        next request (the encoder takes seconds to load)."""
        from citemed.library.embed import encoder

        with self.lock:
            _ = self.library.lexical
            if self.library.dense is not None:
                encoder(self.library.settings.embed_device)
            self.reader()
            self.evidence_reader()
            self.lay_vocabulary()

    def reader(self) -> EvidenceReader:
        """The evidence reader, loaded on first use (about a second) and shared."""
        return require_reader(self.settings.reader)

    def evidence_reader(self) -> EvidenceReader | None:
        """The evidence-set reader for verdicts, if installed and switched on."""
        if not self.settings.evidence_verdict:
            return None
        return load_evidence_reader(self.settings.evidence_reader)

    def close(self) -> None:
        self.library.close()
        if self.verdict_reader is not None:
            self.verdict_reader.close()

    def search(self, question: str, *, k: int | None = None,
               audience: Audience = "clinician") -> list[Hit]:
        question = check_question(question)
        self.follow_library()
        with self.lock:
            return retrieve_search(
                self.library, question, k=k or self.settings.search_k, audience=audience,
                sentences_per_hit=self.settings.sentences_per_hit,
            )

    def lay_vocabulary(self) -> dict[str, str]:
        """Lay vocabulary for patient wording, mined once per library version."""
        version = self.library.version
        if self._lay_vocabulary is None or self._lay_vocabulary[0] != version:
            self._lay_vocabulary = (version, library_vocabulary(self.library))
        return self._lay_vocabulary[1]

    def ask(self, question: str, *, audience: Audience = "clinician",
            context: Sequence[Turn] | None = None) -> Answer:
        """Answer `question`; with `context` (earlier turns) a follow-up is resolved first."""
        self.follow_library()
        with self.lock:
            return self._ask(question, audience=audience, context=context)

    def _ask(self, question: str, *, audience: Audience,
             context: Sequence[Turn] | None) -> Answer:
        started = time.perf_counter()
        question = check_question(question)
        resolved = resolve_followup(question, context)
        hits = self.search(resolved, audience=audience)
        answer = compose(
            resolved, hits, audience=audience,
            max_references=self.settings.max_references,
            max_bullets_per_section=self.settings.max_bullets_per_section,
            idf=self.library.lexical.idf, verdict_reader=self.verdict_reader,
            reader=self.reader(), evidence_reader=self.evidence_reader(),
            answers_gate=self.settings.evidence_answers,
            focus_abstains=self.settings.focus_abstains,
            threshold=self.settings.reader_threshold,
            verdict_concepts=self.settings.verdict_concepts,
            max_bullets=self.settings.max_bullets,
            max_key_findings=self.settings.max_key_findings,
            read_budget=self.settings.read_budget,
            read_per_document=self.settings.read_per_document,
        )
        answer.question = question
        answer.resolved_question = resolved
        answer = adapt(answer, audience, vocabulary=self.lay_vocabulary(),
                       max_sections=self.settings.patient_max_sections,
                       max_bullets=self.settings.patient_max_bullets)
        if audience == "patient" and not answer.abstained:
            answer.abbreviations = explain(
                answer, self.library.documents([r.document_id for r in answer.references]))
        answer.generation.library_version = self.library.version
        answer.generation.engine_version = __version__
        answer.generation.settings = {
            "search_k": self.settings.search_k, "dense": self.settings.dense,
            "kind_prior": self.settings.kind_prior, "recency_prior": self.settings.recency_prior,
            "llm_model": self.settings.llm_model if self.verdict_reader else None,
        }
        answer.generation.elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
        answer.generation.created_at = datetime.now(UTC).isoformat(timespec="seconds")
        return answer
