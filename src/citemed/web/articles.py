"""Web layer of the editorial workflow: login/logout, editor and reviewer pages, the review
dashboard, account pages and the JSON API under /api/v1/articles.

Thin by design: every permission, state and citation rule is enforced in citemed.articles; this
module only authenticates the caller, checks CSRF tokens on form posts, and maps errors to HTTP.

    app.include_router(make_router(settings))
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from argon2 import PasswordHasher
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field
from starlette.datastructures import FormData

from citemed.articles.auth import Accounts, LoginResult, safe_next, same
from citemed.articles.content import AUDIENCES, BulletEdit, ContentEdit, SectionEdit
from citemed.articles.db import Database
from citemed.articles.models import Article, User, WebSession
from citemed.articles.service import ArticleService
from citemed.articles.workflow import (
    CAUTION,
    QUEUE_STATES,
    Role,
    State,
    available_transitions,
    can_edit,
)
from citemed.engine import Engine
from citemed.errors import CiteMedError, InputError, PermissionDenied
from citemed.settings import Settings

SESSION_COOKIE = "citemed_session"
LOGIN_CSRF_COOKIE = "citemed_login_csrf"
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


@dataclass
class Caller:
    """Who is asking: the logged-in user (None for readers) and their web session."""

    user: User | None
    session: WebSession | None

    @property
    def csrf(self) -> str:
        return self.session.csrf_token if self.session else ""


@dataclass
class FormPost:
    user: User
    session: WebSession
    form: FormData


class EditRequest(BaseModel):
    revision: int
    audience: str = "clinician"
    sections: list[SectionEdit]


class TransitionRequest(BaseModel):
    revision: int
    action: str
    comment: str = ""


class RestoreRequest(BaseModel):
    revision: int
    version: int


class CreateRequest(BaseModel):
    question: str = Field(max_length=2000)
    slug: str | None = None


def _fmt_date(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


TEMPLATES.env.filters["date"] = _fmt_date


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
        data["approval"] = {
            "reviewer": article.approved_by.display_name, "byline": article.approved_by.byline,
            "credentials": article.approved_by.credentials,
            "specialty": article.approved_by.specialty,
            "approved_at": article.approved_at.isoformat() + "Z" if article.approved_at else None,
            "version": article.approved_version,
        }
    if content is not None:
        data["content"] = content
    return data


def make_router(settings: Settings, *, db: Database | None = None, engine: Engine | None = None,
                hasher: PasswordHasher | None = None) -> APIRouter:
    """The articles router; migrates the database on creation so a new install just works."""
    database = db or Database.from_settings(settings)
    accounts = Accounts(database, hasher)
    service = ArticleService(database)
    engines: list[Engine] = [engine] if engine else []
    router = APIRouter()

    def get_engine() -> Engine:
        if not engines:
            engines.append(Engine(settings))
        return engines[0]

    def cookie_secure(request: Request) -> bool:
        if settings.cookie_secure is not None:
            return settings.cookie_secure
        return request.url.scheme == "https"

    # ------------------------------------------------------------------ callers

    def caller(request: Request) -> Caller:
        session = accounts.session(request.cookies.get(SESSION_COOKIE))
        return Caller(session.user if session else None, session)

    async def form_post(request: Request, who: Caller = Depends(caller)) -> FormPost:
        """Every state-changing form: logged in, and the form carries this session's token."""
        if who.user is None or who.session is None:
            raise HTTPException(status_code=401, detail="log in first",
                                headers={"Location": "/login"})
        form = await request.form()
        sent = form.get("csrf_token")
        if not isinstance(sent, str) or not same(sent, who.session.csrf_token):
            raise HTTPException(status_code=403,
                                detail="CSRF token missing or wrong; reload the page and retry")
        return FormPost(who.user, who.session, form)

    def api_user(request: Request) -> User | None:
        header = request.headers.get("authorization", "")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise HTTPException(status_code=401, detail="use 'Authorization: Bearer <token>'")
        try:
            return accounts.user_for_token(token.strip())
        except CiteMedError as error:
            raise HTTPException(status_code=401, detail=str(error)) from error

    def api_writer(user: User | None = Depends(api_user)) -> User:
        if user is None:
            raise HTTPException(status_code=401, detail="an API token is required",
                                headers={"WWW-Authenticate": "Bearer"})
        return user

    def page(request: Request, who: Caller, name: str, status_code: int = 200,
             **context: Any) -> HTMLResponse:
        return TEMPLATES.TemplateResponse(request, name, {
            "user": who.user, "csrf": who.csrf, "State": State, "caution": CAUTION,
            **context}, status_code=status_code)

    def html_errors(handler: Callable[..., Response]) -> Callable[..., Response]:
        """Render user-facing errors as a page with the error's status (403, 404, 409...)."""
        @functools.wraps(handler)
        def wrapper(request: Request, *args: Any, **kwargs: Any) -> Response:
            try:
                return handler(request, *args, **kwargs)
            except CiteMedError as error:
                who = kwargs.get("who") or kwargs.get("post")
                user = getattr(who, "user", None)
                session = getattr(who, "session", None)
                return page(request, Caller(user, session), "articles_error.html",
                            status_code=error.status_code, message=str(error))
        return wrapper

    def api_errors(handler: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(handler)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return handler(*args, **kwargs)
            except CiteMedError as error:
                return JSONResponse({"error": str(error)}, status_code=error.status_code)
        return wrapper

    def to_article(slug: str) -> RedirectResponse:
        return RedirectResponse(f"/articles/{quote(slug)}", status_code=303)

    def int_field(form: FormData, name: str) -> int:
        value = form.get(name)
        try:
            return int(str(value))
        except ValueError as error:
            raise InputError(f"form field {name!r} must be a whole number") from error

    # ------------------------------------------------------------------ login

    @router.get("/login", response_class=HTMLResponse)
    def login_page(request: Request, next: str = "/articles",
                   who: Caller = Depends(caller)) -> Response:
        token = secrets.token_urlsafe(32)
        response = page(request, who, "articles_login.html", login_csrf=token,
                        next=safe_next(next, "/articles"))
        response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                            secure=cookie_secure(request), path="/login")
        return response

    @router.post("/login")
    async def login(request: Request, who: Caller = Depends(caller)) -> Response:
        form = await request.form()
        # No session exists yet, so the login form uses a double-submit token (cookie + field).
        expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        sent = form.get("csrf_token")
        if not expected or not isinstance(sent, str) or not same(sent, expected):
            raise HTTPException(status_code=403, detail="login form expired; reload and retry")
        target = safe_next(str(form.get("next") or ""), "/articles")
        try:
            result: LoginResult = accounts.login(
                str(form.get("username") or ""), str(form.get("password") or ""),
                old_session=request.cookies.get(SESSION_COOKIE))
        except CiteMedError as error:
            return page(request, who, "articles_login.html", status_code=error.status_code,
                        login_csrf=expected, next=target, message=str(error))
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(SESSION_COOKIE, result.session_token, httponly=True, samesite="lax",
                            secure=cookie_secure(request), path="/")
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
        return response

    @router.post("/logout")
    def logout(request: Request, post: FormPost = Depends(form_post)) -> Response:
        accounts.logout(request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse("/articles", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    # ------------------------------------------------------------------ reader pages

    @router.get("/articles", response_class=HTMLResponse)
    @html_errors
    def list_articles(request: Request, who: Caller = Depends(caller)) -> Response:
        drafts = service.own_drafts(who.user) if who.user else []
        return page(request, who, "articles_list.html", articles=service.public_articles(),
                    drafts=drafts)

    @router.get("/articles/new", response_class=HTMLResponse)
    @html_errors
    def new_article_page(request: Request, who: Caller = Depends(caller)) -> Response:
        if who.user is None:
            return RedirectResponse("/login?next=/articles/new", status_code=303)
        if who.user.role != Role.EDITOR:
            raise PermissionDenied("only editors create articles")
        return page(request, who, "articles_new.html")

    @router.post("/articles/new")
    @html_errors
    def create_article(request: Request, post: FormPost = Depends(form_post)) -> Response:
        article = _create(post.user, str(post.form.get("question") or ""),
                          str(post.form.get("slug") or "") or None)
        return to_article(article.slug)

    @router.get("/articles/{slug}", response_class=HTMLResponse)
    @html_errors
    def show_article(request: Request, slug: str, who: Caller = Depends(caller)) -> Response:
        article = service.get(slug, who.user)
        content = service.content(slug, who.user)
        role = Role(who.user.role) if who.user else None
        is_author = who.user is not None and who.user.id == article.author_id
        state = State(article.state)
        return page(request, who, "articles_page.html", article=article, content=content,
                    audiences=[a for a in AUDIENCES if a in content],
                    actions=available_transitions(state, role, is_author),
                    editable=can_edit(state, role, is_author),
                    audit=service.audit(slug, who.user))

    # ------------------------------------------------------------------ editor and reviewer

    def _create(user: User, question: str, slug: str | None) -> Article:
        if user.role != Role.EDITOR:
            raise PermissionDenied("only editors create articles")
        engine = get_engine()
        content = {audience: engine.ask(question, audience=audience)  # type: ignore[arg-type]
                   for audience in AUDIENCES}
        return service.create(user, question=question, content=content, slug=slug,
                              library_version=content["clinician"].generation.library_version)

    @router.get("/articles/{slug}/edit", response_class=HTMLResponse)
    @html_errors
    def edit_page(request: Request, slug: str, audience: str = "clinician",
                  who: Caller = Depends(caller)) -> Response:
        if who.user is None:
            return RedirectResponse(f"/login?next=/articles/{quote(slug)}/edit", status_code=303)
        article = service.get(slug, who.user)
        is_author = who.user.id == article.author_id
        if not can_edit(State(article.state), Role(who.user.role), is_author):
            raise PermissionDenied(f"you cannot edit this article while it is "
                                   f"{State(article.state).label.lower()}")
        content = service.content(slug, who.user)
        if audience not in content:
            raise InputError(f"no {audience!r} version")
        return page(request, who, "articles_edit.html", article=article,
                    answer=content[audience], audience=audience,
                    audiences=[a for a in AUDIENCES if a in content])

    @router.post("/articles/{slug}/edit")
    @html_errors
    def edit_article(request: Request, slug: str, post: FormPost = Depends(form_post)) -> Response:
        service.edit(post.user, slug, revision=int_field(post.form, "revision"),
                     edit=edit_from_form(post.form))
        return to_article(slug)

    @router.post("/articles/{slug}/transition/{action}")
    @html_errors
    def transition(request: Request, slug: str, action: str,
                   post: FormPost = Depends(form_post)) -> Response:
        service.transition(post.user, slug, action, revision=int_field(post.form, "revision"),
                           comment=str(post.form.get("comment") or ""))
        return to_article(slug)

    @router.post("/articles/{slug}/restore/{number}")
    @html_errors
    def restore(request: Request, slug: str, number: int,
                post: FormPost = Depends(form_post)) -> Response:
        service.restore(post.user, slug, revision=int_field(post.form, "revision"), number=number)
        return to_article(slug)

    @router.get("/articles/{slug}/versions", response_class=HTMLResponse)
    @html_errors
    def versions_page(request: Request, slug: str, old: int | None = None, new: int | None = None,
                      who: Caller = Depends(caller)) -> Response:
        article = service.get(slug, who.user)
        versions = service.versions(slug, who.user)
        diff = service.diff(slug, who.user, old, new) if old and new else None
        role = Role(who.user.role) if who.user else None
        editable = can_edit(State(article.state), role,
                            who.user is not None and who.user.id == article.author_id)
        return page(request, who, "articles_versions.html", article=article, versions=versions,
                    diff=diff, old=old, new=new, editable=editable)

    @router.get("/review", response_class=HTMLResponse)
    @html_errors
    def review_dashboard(request: Request, who: Caller = Depends(caller)) -> Response:
        if who.user is None:
            return RedirectResponse("/login?next=/review", status_code=303)
        items = service.queue(who.user)
        groups = [(state.label, [i for i in items if i.article.state == state and
                                 not i.article.stale]) for state in QUEUE_STATES]
        groups.append(("New evidence: re-review", [i for i in items if i.article.stale]))
        return page(request, who, "articles_review.html", groups=groups)

    # ------------------------------------------------------------------ accounts

    @router.get("/account/tokens", response_class=HTMLResponse)
    @html_errors
    def tokens_page(request: Request, who: Caller = Depends(caller)) -> Response:
        if who.user is None:
            return RedirectResponse("/login?next=/account/tokens", status_code=303)
        return page(request, who, "articles_tokens.html", tokens=accounts.tokens(who.user))

    @router.post("/account/tokens")
    @html_errors
    def create_token(request: Request, post: FormPost = Depends(form_post)) -> Response:
        _, plain = accounts.create_token(post.user, str(post.form.get("name") or ""))
        return page(request, Caller(post.user, post.session), "articles_tokens.html",
                    tokens=accounts.tokens(post.user), new_token=plain)

    @router.post("/account/tokens/{token_id}/revoke")
    @html_errors
    def revoke_token(request: Request, token_id: int,
                     post: FormPost = Depends(form_post)) -> Response:
        accounts.revoke_token(post.user, token_id)
        return RedirectResponse("/account/tokens", status_code=303)

    def require_admin(user: User | None) -> User:
        if user is None or user.role != Role.ADMIN:
            raise PermissionDenied("only admins manage accounts")
        return user

    @router.get("/admin/users", response_class=HTMLResponse)
    @html_errors
    def users_page(request: Request, who: Caller = Depends(caller)) -> Response:
        if who.user is None:
            return RedirectResponse("/login?next=/admin/users", status_code=303)
        require_admin(who.user)
        return page(request, who, "articles_users.html", users=accounts.users(),
                    roles=[r.value for r in Role])

    @router.post("/admin/users")
    @html_errors
    def add_user(request: Request, post: FormPost = Depends(form_post)) -> Response:
        require_admin(post.user)
        fields = {k: str(post.form.get(k) or "") for k in
                  ["username", "password", "role", "display_name", "credentials", "specialty"]}
        accounts.add_user(fields.pop("username"), fields.pop("password"), fields.pop("role"),
                          **fields)
        return RedirectResponse("/admin/users", status_code=303)

    @router.post("/admin/users/{user_id}/active")
    @html_errors
    def set_active(request: Request, user_id: int, post: FormPost = Depends(form_post)) -> Response:
        require_admin(post.user)
        if user_id == post.user.id:
            raise InputError("you cannot deactivate your own account")
        accounts.set_active(user_id, post.form.get("active") == "1")
        return RedirectResponse("/admin/users", status_code=303)

    # ------------------------------------------------------------------ JSON API

    api = "/api/v1/articles"

    @router.get(api)
    @api_errors
    def api_list(user: User | None = Depends(api_user)) -> Any:
        return {"articles": [article_json(a) for a in service.public_articles()]}

    @router.post(api, status_code=201)
    @api_errors
    def api_create(body: CreateRequest, user: User = Depends(api_writer)) -> Any:
        article = _create(user, body.question, body.slug)
        return JSONResponse(article_json(article), status_code=201)

    @router.get(api + "/{slug}")
    @api_errors
    def api_get(slug: str, user: User | None = Depends(api_user)) -> Any:
        article = service.get(slug, user)
        return article_json(article, service.version(slug, None, user).content)

    @router.post(api + "/{slug}/edits")
    @api_errors
    def api_edit(slug: str, body: EditRequest, user: User = Depends(api_writer)) -> Any:
        article = service.edit(user, slug, revision=body.revision, edit=ContentEdit(
            audience=body.audience, sections=body.sections))
        return article_json(article)

    @router.post(api + "/{slug}/transitions")
    @api_errors
    def api_transition(slug: str, body: TransitionRequest, user: User = Depends(api_writer)) -> Any:
        return article_json(service.transition(user, slug, body.action, revision=body.revision,
                                               comment=body.comment))

    @router.post(api + "/{slug}/restore")
    @api_errors
    def api_restore(slug: str, body: RestoreRequest, user: User = Depends(api_writer)) -> Any:
        return article_json(service.restore(user, slug, revision=body.revision,
                                            number=body.version))

    @router.get(api + "/{slug}/versions")
    @api_errors
    def api_versions(slug: str, user: User | None = Depends(api_user)) -> Any:
        return {"versions": [
            {"version": v.number, "summary": v.summary, "library_version": v.library_version,
             "author": v.author.display_name or v.author.username,
             "created_at": v.created_at.isoformat() + "Z"}
            for v in service.versions(slug, user)]}

    @router.get(api + "/{slug}/versions/{number}")
    @api_errors
    def api_version(slug: str, number: int, user: User | None = Depends(api_user)) -> Any:
        return {"version": number, "content": service.version(slug, number, user).content}

    @router.get(api + "/{slug}/diff")
    @api_errors
    def api_diff(slug: str, old: int, new: int, user: User | None = Depends(api_user)) -> Any:
        return {"old": old, "new": new, "diff": service.diff(slug, user, old, new)}

    @router.get(api + "/{slug}/audit")
    @api_errors
    def api_audit(slug: str, user: User | None = Depends(api_user)) -> Any:
        return {"audit": [
            {"at": e.created_at.isoformat() + "Z", "actor": e.actor_name, "action": e.action,
             "from": e.from_state, "to": e.to_state, "version": e.version, "detail": e.detail}
            for e in service.audit(slug, user)]}

    return router


def edit_from_form(form: FormData) -> ContentEdit:
    """The edit form: per bullet `b-<section>-<bullet>-{order,text,note,cites,keep}`.

    Bullets without `keep` are removed; kept bullets are sorted by their order number."""
    audience = str(form.get("audience") or "clinician")
    bullets: dict[int, list[tuple[float, int, BulletEdit]]] = {}
    for key in form.keys():
        parts = key.split("-")
        if len(parts) != 4 or parts[0] != "b" or parts[3] != "text":
            continue
        try:
            section, bullet = int(parts[1]), int(parts[2])
        except ValueError as error:
            raise InputError(f"form field {key!r} is malformed") from error
        prefix = f"b-{section}-{bullet}-"
        bullets.setdefault(section, [])
        if form.get(prefix + "keep") != "1":
            continue
        try:
            order = float(str(form.get(prefix + "order") or bullet + 1))
            cites = [int(c) for c in str(form.get(prefix + "cites") or "").replace(",", " ").split()]
        except ValueError as error:
            raise InputError(f"bullet {bullet + 1} of section {section + 1}: order and "
                             "citations must be numbers") from error
        bullets[section].append((order, bullet, BulletEdit(
            source=bullet, text=str(form.get(prefix + "text") or ""),
            note=str(form.get(prefix + "note") or ""), citations=cites)))
    return ContentEdit(audience=audience, sections=[
        SectionEdit(section=section, bullets=[edit for _, _, edit in sorted(entries,
                                                                            key=lambda e: e[:2])])
        for section, entries in sorted(bullets.items())])

