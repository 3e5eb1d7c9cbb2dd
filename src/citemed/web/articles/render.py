"""What the article routes answer with: rendered pages, the article JSON, redirects, and new
articles composed by the app's warm engine."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from citemed.articles.content import AUDIENCES
from citemed.articles.models import Article, User
from citemed.articles.workflow import CAUTION, Role, State
from citemed.errors import PermissionDenied
from citemed.web.auth import Caller, Member
from citemed.web.context import ArticlesContext


def page(request: Request, who: Caller | Member, name: str, status_code: int = 200,
         **values: Any) -> HTMLResponse:
    response = request.app.state.templates.TemplateResponse(request, name, {
        "user": who.user, "csrf": who.csrf, "State": State, "caution": CAUTION,
        "date": short_date, **values}, status_code=status_code)
    if who.user is not None:
        # A signed-in page holds a CSRF token and may show a draft or a new API token: no
        # browser or proxy may keep a copy.
        response.headers["Cache-Control"] = "no-store"
    return response


def short_date(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


def to_article(slug: str) -> RedirectResponse:
    return RedirectResponse(f"/articles/{quote(slug)}", status_code=303)


def create_article(request: Request, ctx: ArticlesContext, user: User, question: str,
                   slug: str | None) -> Article:
    if user.role != Role.EDITOR:  # before the engine runs
        raise PermissionDenied("only editors create articles")
    answers = request.app.state.service
    content = {audience: answers.ask(question, audience) for audience in AUDIENCES}
    return ctx.service.create(user, question=question, content=content, slug=slug,
                              library_version=content["clinician"].generation.library_version)


def article_json(article: Article, content: dict[str, Any] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "slug": article.slug, "question": article.question, "state": article.state,
        "revision": article.revision, "version": article.current_version,
        "library_version": article.library_version,
        "updated_at": article.updated_at.isoformat() + "Z",
        "author": article.author.display_name or article.author.username,
        "caution": None if article.state == State.APPROVED else CAUTION,
        "approval": None, "stale": article.stale, "stale_reason": article.stale_reason,
    }
    if article.state == State.APPROVED and article.approved_by is not None:
        reviewer = article.approved_by
        data["approval"] = {
            "reviewer": reviewer.display_name, "byline": reviewer.byline,
            "credentials": reviewer.credentials, "specialty": reviewer.specialty,
            "approved_at": article.approved_at.isoformat() + "Z" if article.approved_at else None,
            "version": article.approved_version,
        }
    if content is not None:
        data["content"] = content
    return data
