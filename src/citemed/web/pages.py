"""Server-rendered pages: ask, answer, conversation threads, documents, editorial policy."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from citemed.articles.workflow import Role
from citemed.demo import SAMPLE_QUESTION
from citemed.errors import InputError
from citemed.model import Audience
from citemed.web.auth import SESSION_COOKIE, current_caller, same_origin
from citemed.web.service import AnswerService

router = APIRouter(include_in_schema=False)

# The README's sample question first, then questions the demo library (PubMedQA train_dev
# abstracts) answers with citations.
EXAMPLE_QUESTIONS = [
    SAMPLE_QUESTION,
    "Is acupuncture efficacious for treating phonotraumatic vocal pathologies?",
    "Therapeutic anticoagulation in the trauma patient: is it safe?",
    "Double balloon enteroscopy: is it efficacious and safe in a community setting?",
    "What are the symptoms of flu?",
]
AudienceParam = Annotated[Audience, Query()]


def _service(request: Request) -> AnswerService:
    return request.app.state.service


def editor_csrf(request: Request) -> str | None:
    """The CSRF token of a signed-in editor's session, for the "Save as article" form (the
    articles flow's POST /articles/new); None for everyone else. Readers without a session
    cookie cost no database lookup."""
    if SESSION_COOKIE not in request.cookies:
        return None
    who = current_caller(request)
    return who.csrf if who.user is not None and who.user.role == Role.EDITOR else None


def _render(request: Request, template: str, status_code: int = 200, **context) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(request, template, context,
                                                        status_code=status_code)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, audience: AudienceParam = "clinician") -> HTMLResponse:
    return _render(request, "ask.html", examples=EXAMPLE_QUESTIONS, audience=audience,
                   error=None, question="")


@router.get("/ask", response_class=HTMLResponse)
def ask_page(request: Request, q: str = "", audience: AudienceParam = "clinician") -> HTMLResponse:
    try:
        answer = _service(request).ask(q, audience)
    except InputError as error:
        # The ask form again, with the message and the printable part of what was typed.
        printable = "".join(ch for ch in q[:2000] if ch.isprintable() and ch != "\ufffd")
        return _render(request, "ask.html", status_code=400, examples=EXAMPLE_QUESTIONS,
                       audience=audience, error=str(error), question=printable)
    return _render(request, "answer.html", answers=[answer], audience=audience, thread_id=None,
                   save_csrf=editor_csrf(request),
                   switch_urls={a: "/ask?" + urlencode({"q": q, "audience": a})
                                for a in ("clinician", "patient")})


@router.post("/threads", dependencies=[Depends(same_origin)])
def start_thread(request: Request, q: Annotated[str, Form()] = "",
                 previous: Annotated[str, Form()] = "",
                 audience: Annotated[Audience, Form()] = "clinician") -> Response:
    """The first follow-up on an answer page: a thread with the earlier question and this one."""
    questions = [previous, q] if previous.strip() else [q]
    thread_id, _answer = _service(request).start_thread(questions, audience)
    return _to_thread(thread_id, audience)


@router.post("/threads/{thread_id}/ask", dependencies=[Depends(same_origin)])
def follow_up(request: Request, thread_id: str, q: Annotated[str, Form()] = "",
              audience: Annotated[Audience, Form()] = "clinician") -> Response:
    _service(request).follow_up(thread_id, q, audience)
    return _to_thread(thread_id, audience)


def _to_thread(thread_id: str, audience: str) -> Response:
    # Post/redirect/get: reloading the thread page never re-submits the question.
    return RedirectResponse(f"/threads/{thread_id}?audience={audience}#latest", status_code=303)


@router.get("/threads/{thread_id}", response_class=HTMLResponse)
def thread_page(request: Request, thread_id: str,
                audience: AudienceParam = "clinician") -> HTMLResponse:
    answers = _service(request).thread(thread_id, audience)
    return _render(request, "answer.html", answers=answers, audience=audience,
                   thread_id=thread_id, save_csrf=editor_csrf(request),
                   switch_urls={a: f"/threads/{thread_id}?audience={a}"
                                for a in ("clinician", "patient")})


@router.get("/documents/{document_id:path}", response_class=HTMLResponse)
def document_page(request: Request, document_id: str, highlight: str = "") -> HTMLResponse:
    document = _service(request).document(document_id)
    marked = {sid for sid in highlight.split(",") if sid}
    return _render(request, "document.html", document=document, highlighted=marked)


@router.get("/policy", response_class=HTMLResponse)
def policy_page(request: Request) -> HTMLResponse:
    return _render(request, "policy.html")
