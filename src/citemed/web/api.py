"""JSON API under /api/v1. Answers use the same schema as `citemed ask --format json`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from citemed.model import Answer, Audience, Hit
from citemed.web.errors import responses
from citemed.web.service import AnswerService
from citemed.web.validation import Question

# Every route may meet a body over the limit (413) or a malformed request (422).
router = APIRouter(prefix="/api/v1", tags=["v1"], responses=responses(413, 422))
BAD_QUESTION = responses(400, _400="Unusable question (the message says why)")
NOT_FOUND = responses(404, _404="Unknown thread or document")


class AskRequest(BaseModel):
    question: Question
    audience: Audience = "clinician"


class ThreadAnswer(BaseModel):
    thread_id: str
    turn: int = Field(description="0-based position of this question in the thread.")
    url: str = Field(description="The thread's page.")
    answer: Answer


class ThreadTurn(BaseModel):
    question: str
    resolved_question: str


class Thread(BaseModel):
    thread_id: str
    url: str
    turns: list[ThreadTurn]


class SentenceOut(BaseModel):
    sentence_id: str
    text: str
    start: int
    end: int
    score: float | None = None


class DocumentSummary(BaseModel):
    id: str
    kind: str
    kind_label: str
    title: str
    source: str
    year: int | None
    pmid: str | None
    doi: str | None
    url: str | None


class SearchHit(BaseModel):
    rank: int
    score: float
    signals: dict[str, float]
    document: DocumentSummary
    sentences: list[SentenceOut]


class SectionOut(BaseModel):
    label: str
    sentences: list[SentenceOut]


class DocumentOut(DocumentSummary):
    sections: list[SectionOut]


def _service(request: Request) -> AnswerService:
    return request.app.state.service


def _summary(document) -> dict:
    return {"id": document.id, "kind": str(document.kind), "kind_label": document.kind.label,
            "title": document.title, "source": document.source, "year": document.year,
            "pmid": document.pmid, "doi": document.doi, "url": document.url}


class Health(BaseModel):
    status: str
    library_version: str
    documents: int


@router.get("/health", response_model=Health)
def health(request: Request) -> Health:
    """Liveness plus the library version answers are computed from."""
    service = _service(request)
    return Health(status="ok", library_version=service.library_version,
                  documents=service.document_count())


@router.post("/ask", response_model=Answer, responses=BAD_QUESTION)
def ask(request: Request, body: AskRequest) -> Answer:
    """Answer one question (no conversation context)."""
    return _service(request).ask(body.question, body.audience)


@router.post("/threads", response_model=ThreadAnswer, responses=BAD_QUESTION,
             status_code=201)
def start_thread(request: Request, body: AskRequest) -> ThreadAnswer:
    """Start a conversation with its first question."""
    thread_id, answer = _service(request).start_thread([body.question], body.audience)
    return ThreadAnswer(thread_id=thread_id, turn=0, url=f"/threads/{thread_id}", answer=answer)


@router.post("/threads/{thread_id}/ask", response_model=ThreadAnswer,
             responses=BAD_QUESTION | NOT_FOUND)
def follow_up(request: Request, thread_id: str, body: AskRequest) -> ThreadAnswer:
    """Ask a follow-up; it is resolved against the thread's earlier questions."""
    turn, answer = _service(request).follow_up(thread_id, body.question, body.audience)
    return ThreadAnswer(thread_id=thread_id, turn=turn, url=f"/threads/{thread_id}",
                        answer=answer)


@router.get("/threads/{thread_id}", response_model=Thread, responses=NOT_FOUND)
def get_thread(request: Request, thread_id: str) -> Thread:
    turns = _service(request).threads.turns(thread_id)
    return Thread(thread_id=thread_id, url=f"/threads/{thread_id}",
                  turns=[ThreadTurn(question=t.question, resolved_question=t.resolved_question)
                         for t in turns])


@router.get("/search", response_model=list[SearchHit], responses=BAD_QUESTION)
def search(request: Request, q: Annotated[Question, Query(description="Question or query")],
           k: Annotated[int, Query(ge=1, le=50)] = 10,
           audience: Audience = "clinician") -> list[SearchHit]:
    """Ranked documents with their best matching sentences."""
    hits: list[Hit] = _service(request).search(q, k=k, audience=audience)
    return [SearchHit(
        rank=hit.rank, score=round(hit.score, 4), signals=hit.signals,
        document=DocumentSummary(**_summary(hit.document)),
        sentences=[SentenceOut(sentence_id=s.sentence_id, text=s.text, start=s.start, end=s.end,
                               score=round(s.score, 4)) for s in hit.sentences],
    ) for hit in hits]


@router.get("/documents/{document_id:path}", response_model=DocumentOut,
            responses=NOT_FOUND)
def document(request: Request, document_id: str) -> DocumentOut:
    """A library document with its sentences and their stable ids."""
    doc = _service(request).document(document_id)
    return DocumentOut(**_summary(doc), sections=[
        SectionOut(label=section.label, sentences=[
            SentenceOut(sentence_id=doc.sentence_id(s_idx, sentence.index), text=sentence.text,
                        start=sentence.start, end=sentence.end)
            for sentence in section.sentences])
        for s_idx, section in enumerate(doc.sections)])
