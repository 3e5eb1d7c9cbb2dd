"""Web layer of the editorial workflow: login/logout, editor and reviewer pages, the review
dashboard, account pages and the JSON API under /api/v1/articles.

Thin by design: every permission, state and citation rule is enforced in citemed.articles; this
module only authenticates the caller and checks CSRF tokens on form posts. Errors are
CiteMedErrors, which create_app's handlers turn into an error page or a JSON error.

create_app includes `router`. The articles database (settings.database_url(), migrated when first
used) lives on `app.state.articles`; answers come from the app's warm `app.state.service`.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from argon2 import PasswordHasher
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from citemed.articles.auth import Accounts, safe_next, same
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
from citemed.errors import CiteMedError, InputError, PermissionDenied
from citemed.settings import Settings

SESSION_COOKIE = "citemed_session"
LOGIN_CSRF_COOKIE = "citemed_login_csrf"
API = "/api/v1/articles"



class ArticlesContext:
    """Everything the routes need besides the request: one per app."""

    def __init__(self, settings: Settings, db: Database | None = None,
                 hasher: PasswordHasher | None = None) -> None:
        self.settings = settings
        self.db = db or Database.from_settings(settings)
        self.accounts = Accounts(self.db, hasher)
        self.service = ArticleService(self.db)


_context_lock = threading.Lock()


def context_for_app(app: FastAPI) -> ArticlesContext:
    state = app.state
    found = getattr(state, "articles", None)
    if found is None:
        with _context_lock:
            found = getattr(state, "articles", None)
            if found is None:
                found = state.articles = ArticlesContext(state.settings)
    return found


def context(request: Request) -> ArticlesContext:
    return context_for_app(request.app)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open (and migrate) the articles database when the server starts, not on first use."""
    ctx = await run_in_threadpool(context_for_app, app)
    yield
    ctx.db.dispose()


router = APIRouter(lifespan=lifespan)


@dataclass
class Caller:
    """Who is asking: the logged-in user (None for readers) and their web session."""

    ctx: ArticlesContext
    user: User | None
    session: WebSession | None

    @property
    def csrf(self) -> str:
        return self.session.csrf_token if self.session else ""


@dataclass
class FormPost:
    ctx: ArticlesContext
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


# ---------------------------------------------------------------------- callers


def caller(request: Request, ctx: ArticlesContext = Depends(context)) -> Caller:
    session = ctx.accounts.session(request.cookies.get(SESSION_COOKIE))
    return Caller(ctx, session.user if session else None, session)


async def form_post(request: Request, who: Caller = Depends(caller)) -> FormPost:
    """Every state-changing form: logged in, and the form carries this session's CSRF token."""
    if who.user is None or who.session is None:
        raise HTTPException(status_code=401, detail="log in first")
    form = await request.form()
    sent = form.get("csrf_token")
    if not isinstance(sent, str) or not same(sent, who.session.csrf_token):
        raise HTTPException(status_code=403,
                            detail="CSRF token missing or wrong; reload the page and try again")
    return FormPost(who.ctx, who.user, who.session, form)


@dataclass
class ApiCaller:
    ctx: ArticlesContext
    user: User | None


def api_caller(request: Request, ctx: ArticlesContext = Depends(context)) -> ApiCaller:
    """The JSON API authenticates with bearer tokens only (no cookies, hence no CSRF)."""
    header = request.headers.get("authorization", "")
    if not header:
        return ApiCaller(ctx, None)
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(status_code=401, detail="use 'Authorization: Bearer <token>'")
    return ApiCaller(ctx, ctx.accounts.user_for_token(token.strip()))


def api_writer(who: ApiCaller = Depends(api_caller)) -> ApiCaller:
    if who.user is None:
        raise HTTPException(status_code=401, detail="an API token is required",
                            headers={"WWW-Authenticate": "Bearer"})
    return who


# ---------------------------------------------------------------------- helpers


def page(request: Request, who: Caller, name: str, status_code: int = 200,
         **values: Any) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(request, name, {
        "user": who.user, "csrf": who.csrf, "State": State, "caution": CAUTION,
        "date": short_date, **values}, status_code=status_code)


def short_date(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


def cookie_secure(request: Request, settings: Settings) -> bool:
    if settings.cookie_secure is not None:
        return settings.cookie_secure
    return request.url.scheme == "https"


def to_article(slug: str) -> RedirectResponse:
    return RedirectResponse(f"/articles/{quote(slug)}", status_code=303)


def login_redirect(path: str) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(path)}", status_code=303)


def int_field(form: FormData, name: str) -> int:
    try:
        return int(str(form.get(name)))
    except ValueError as error:
        raise InputError(f"form field {name!r} must be a whole number") from error


def role_of(user: User | None) -> Role | None:
    return Role(user.role) if user else None


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


# ---------------------------------------------------------------------- login


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/articles", who: Caller = Depends(caller)):
    token = secrets.token_urlsafe(32)
    response = page(request, who, "articles_login.html", login_csrf=token, message="",
                    next=safe_next(next, "/articles"))
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                        secure=cookie_secure(request, who.ctx.settings), path="/login")
    return response


@router.post("/login")
async def login(request: Request, who: Caller = Depends(caller)):
    form = await request.form()
    # No session exists yet, so the login form uses a double-submit token (cookie + field).
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    sent = form.get("csrf_token")
    if not expected or not isinstance(sent, str) or not same(sent, expected):
        raise HTTPException(status_code=403, detail="login form expired; reload and retry")
    target = safe_next(str(form.get("next") or ""), "/articles")
    try:
        result = who.ctx.accounts.login(
            str(form.get("username") or ""), str(form.get("password") or ""),
            old_session=request.cookies.get(SESSION_COOKIE))
    except CiteMedError as error:
        return page(request, who, "articles_login.html", status_code=error.status_code,
                    login_csrf=expected, next=target, message=str(error))
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, result.session_token, httponly=True, samesite="lax",
                        secure=cookie_secure(request, who.ctx.settings), path="/")
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, post: FormPost = Depends(form_post)):
    post.ctx.accounts.logout(request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/articles", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# ---------------------------------------------------------------------- reader pages


@router.get("/articles", response_class=HTMLResponse)
def list_articles(request: Request, who: Caller = Depends(caller)):
    drafts = who.ctx.service.own_drafts(who.user) if who.user else []
    return page(request, who, "articles_list.html", articles=who.ctx.service.public_articles(),
                drafts=drafts)


@router.get("/articles/new", response_class=HTMLResponse)
def new_article_page(request: Request, who: Caller = Depends(caller)):
    if who.user is None:
        return login_redirect("/articles/new")
    if who.user.role != Role.EDITOR:
        raise PermissionDenied("only editors create articles")
    return page(request, who, "articles_new.html")


@router.post("/articles/new")
def new_article(request: Request, post: FormPost = Depends(form_post)):
    article = create_article(request, post.ctx, post.user, str(post.form.get("question") or ""),
                             str(post.form.get("slug") or "") or None)
    return to_article(article.slug)


@router.get("/articles/{slug}", response_class=HTMLResponse)
def show_article(request: Request, slug: str, who: Caller = Depends(caller)):
    service = who.ctx.service
    article = service.get(slug, who.user)
    content = service.content(slug, who.user)
    is_author = who.user is not None and who.user.id == article.author_id
    state = State(article.state)
    return page(request, who, "articles_page.html", article=article, content=content,
                audiences=[a for a in AUDIENCES if a in content],
                actions=available_transitions(state, role_of(who.user), is_author),
                editable=can_edit(state, role_of(who.user), is_author),
                audit=service.audit(slug, who.user))


# ---------------------------------------------------------------------- editor and reviewer


@router.get("/articles/{slug}/edit", response_class=HTMLResponse)
def edit_page(request: Request, slug: str, audience: str = "clinician",
              who: Caller = Depends(caller)):
    if who.user is None:
        return login_redirect(f"/articles/{slug}/edit")
    article = who.ctx.service.get(slug, who.user)
    if not can_edit(State(article.state), role_of(who.user), who.user.id == article.author_id):
        raise PermissionDenied(
            f"you cannot edit this article while it is {State(article.state).label.lower()}")
    content = who.ctx.service.content(slug, who.user)
    if audience not in content:
        raise InputError(f"this article has no {audience!r} version")
    return page(request, who, "articles_edit.html", article=article, answer=content[audience],
                audience=audience, audiences=[a for a in AUDIENCES if a in content])


@router.post("/articles/{slug}/edit")
def edit_article(slug: str, post: FormPost = Depends(form_post)):
    post.ctx.service.edit(post.user, slug, revision=int_field(post.form, "revision"),
                          edit=edit_from_form(post.form))
    return to_article(slug)


@router.post("/articles/{slug}/transition/{action}")
def transition(slug: str, action: str, post: FormPost = Depends(form_post)):
    post.ctx.service.transition(post.user, slug, action,
                                revision=int_field(post.form, "revision"),
                                comment=str(post.form.get("comment") or ""))
    return to_article(slug)


@router.post("/articles/{slug}/restore/{number}")
def restore(slug: str, number: int, post: FormPost = Depends(form_post)):
    post.ctx.service.restore(post.user, slug, revision=int_field(post.form, "revision"),
                             number=number)
    return to_article(slug)


@router.get("/articles/{slug}/versions", response_class=HTMLResponse)
def versions_page(request: Request, slug: str, old: int | None = None, new: int | None = None,
                  who: Caller = Depends(caller)):
    service = who.ctx.service
    article = service.get(slug, who.user)
    diff = service.diff(slug, who.user, old, new) if old and new else None
    editable = can_edit(State(article.state), role_of(who.user),
                        who.user is not None and who.user.id == article.author_id)
    return page(request, who, "articles_versions.html", article=article,
                versions=service.versions(slug, who.user), diff=diff, old=old, new=new,
                editable=editable)


@router.get("/review", response_class=HTMLResponse)
def review_dashboard(request: Request, who: Caller = Depends(caller)):
    if who.user is None:
        return login_redirect("/review")
    items = who.ctx.service.queue(who.user)
    groups = [(state.label, [i for i in items if i.article.state == state and
                             not i.article.stale]) for state in QUEUE_STATES]
    groups.append(("New evidence: re-review", [i for i in items if i.article.stale]))
    return page(request, who, "articles_review.html", groups=groups)


# ---------------------------------------------------------------------- accounts


@router.get("/account/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, who: Caller = Depends(caller)):
    if who.user is None:
        return login_redirect("/account/tokens")
    return page(request, who, "articles_tokens.html", tokens=who.ctx.accounts.tokens(who.user),
                new_token="")


@router.post("/account/tokens")
def create_token(request: Request, post: FormPost = Depends(form_post)):
    _, plain = post.ctx.accounts.create_token(post.user, str(post.form.get("name") or ""))
    return page(request, Caller(post.ctx, post.user, post.session), "articles_tokens.html",
                tokens=post.ctx.accounts.tokens(post.user), new_token=plain)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(token_id: int, post: FormPost = Depends(form_post)):
    post.ctx.accounts.revoke_token(post.user, token_id)
    return RedirectResponse("/account/tokens", status_code=303)


def require_admin(user: User | None) -> None:
    if user is None or user.role != Role.ADMIN:
        raise PermissionDenied("only admins manage accounts")


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, who: Caller = Depends(caller)):
    if who.user is None:
        return login_redirect("/admin/users")
    require_admin(who.user)
    return page(request, who, "articles_users.html", users=who.ctx.accounts.users(),
                roles=[r.value for r in Role])


@router.post("/admin/users")
def add_user(post: FormPost = Depends(form_post)):
    require_admin(post.user)
    fields = {k: str(post.form.get(k) or "") for k in
              ["username", "password", "role", "display_name", "credentials", "specialty"]}
    post.ctx.accounts.add_user(fields.pop("username"), fields.pop("password"),
                               fields.pop("role"), **fields)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{user_id}/active")
def set_active(user_id: int, post: FormPost = Depends(form_post)):
    require_admin(post.user)
    if user_id == post.user.id:
        raise InputError("you cannot deactivate your own account")
    post.ctx.accounts.set_active(user_id, post.form.get("active") == "1")
    return RedirectResponse("/admin/users", status_code=303)


# ---------------------------------------------------------------------- JSON API


@router.get(API)
def api_list(who: ApiCaller = Depends(api_caller)):
    return {"articles": [article_json(a) for a in who.ctx.service.public_articles()]}


@router.post(API, status_code=201)
def api_create(request: Request, body: CreateRequest, who: ApiCaller = Depends(api_writer)):
    assert who.user is not None
    article = create_article(request, who.ctx, who.user, body.question, body.slug)
    return JSONResponse(article_json(article), status_code=201)


@router.get(API + "/{slug}")
def api_get(slug: str, who: ApiCaller = Depends(api_caller)):
    article = who.ctx.service.get(slug, who.user)
    return article_json(article, who.ctx.service.version(slug, None, who.user).content)


@router.post(API + "/{slug}/edits")
def api_edit(slug: str, body: EditRequest, who: ApiCaller = Depends(api_writer)):
    return article_json(who.ctx.service.edit(who.user, slug, revision=body.revision,
                                             edit=ContentEdit(audience=body.audience,
                                                              sections=body.sections)))


@router.post(API + "/{slug}/transitions")
def api_transition(slug: str, body: TransitionRequest, who: ApiCaller = Depends(api_writer)):
    return article_json(who.ctx.service.transition(who.user, slug, body.action,
                                                   revision=body.revision, comment=body.comment))


@router.post(API + "/{slug}/restore")
def api_restore(slug: str, body: RestoreRequest, who: ApiCaller = Depends(api_writer)):
    return article_json(who.ctx.service.restore(who.user, slug, revision=body.revision,
                                                number=body.version))


@router.get(API + "/{slug}/versions")
def api_versions(slug: str, who: ApiCaller = Depends(api_caller)):
    return {"versions": [
        {"version": v.number, "summary": v.summary, "library_version": v.library_version,
         "author": v.author.display_name or v.author.username,
         "created_at": v.created_at.isoformat() + "Z"}
        for v in who.ctx.service.versions(slug, who.user)]}


@router.get(API + "/{slug}/versions/{number}")
def api_version(slug: str, number: int, who: ApiCaller = Depends(api_caller)):
    return {"version": number, "content": who.ctx.service.version(slug, number, who.user).content}


@router.get(API + "/{slug}/diff")
def api_diff(slug: str, old: int, new: int, who: ApiCaller = Depends(api_caller)):
    return {"old": old, "new": new, "diff": who.ctx.service.diff(slug, who.user, old, new)}


@router.get(API + "/{slug}/audit")
def api_audit(slug: str, who: ApiCaller = Depends(api_caller)):
    return {"audit": [
        {"at": e.created_at.isoformat() + "Z", "actor": e.actor_name, "action": e.action,
         "from": e.from_state, "to": e.to_state, "version": e.version, "detail": e.detail}
        for e in who.ctx.service.audit(slug, who.user)]}


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
        SectionEdit(section=section, bullets=[edit for _, _, edit in sorted(
            entries, key=lambda entry: entry[:2])])
        for section, entries in sorted(bullets.items())])
