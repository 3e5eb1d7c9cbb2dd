"""Who is asking, and whether a form post may act for them: session cookies, the one login guard,
CSRF tokens (per session, double-submit on the login form, Origin checks on anonymous forms) and
bearer tokens for the JSON API.

Every rule about accounts lives in citemed.articles.auth; this module only reads the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from fastapi import Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from citemed.articles.auth import same
from citemed.articles.models import User, WebSession
from citemed.errors import PermissionDenied
from citemed.settings import Settings
from citemed.web.context import ArticlesContext, context

SESSION_COOKIE = "citemed_session"
LOGIN_CSRF_COOKIE = "citemed_login_csrf"
CSRF_FIELD = "csrf_token"


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
class Member:
    """A caller the login guard let through: always a user with a live session."""

    ctx: ArticlesContext
    user: User
    session: WebSession

    @property
    def csrf(self) -> str:
        return self.session.csrf_token


@dataclass
class FormPost(Member):
    """A state-changing form post whose CSRF token matched the session's."""

    form: FormData


@dataclass
class ApiCaller:
    ctx: ArticlesContext
    user: User | None


class LoginRequired(Exception):
    """Raised by the login guard on a page; the app answers with a redirect to /login."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def login_redirect(path: str) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(path)}", status_code=303)


async def login_required_handler(request: Request, error: Exception) -> RedirectResponse:
    assert isinstance(error, LoginRequired)
    return login_redirect(error.next_path)


def check_csrf(sent: object, expected: str, message: str) -> None:
    if not expected or not isinstance(sent, str) or not same(sent, expected):
        raise HTTPException(status_code=403, detail=message)


def cookie_secure(request: Request, settings: Settings) -> bool:
    if settings.cookie_secure is not None:
        return settings.cookie_secure
    return request.url.scheme == "https"


# ---------------------------------------------------------------------- dependencies


def caller(request: Request, ctx: ArticlesContext = Depends(context)) -> Caller:
    session = ctx.accounts.session(request.cookies.get(SESSION_COOKIE))
    return Caller(ctx, session.user if session else None, session)


def current_caller(request: Request) -> Caller:
    """`caller` outside dependency injection (pages that only sometimes need the session)."""
    return caller(request, context(request))


def signed_in(request: Request, who: Caller = Depends(caller)) -> Member:
    """The login guard: a page sends anonymous visitors to log in (and back here afterwards);
    anything else they try is 401."""
    if who.user is None or who.session is None:
        if request.method in ("GET", "HEAD"):
            query = request.url.query
            raise LoginRequired(request.url.path + (f"?{query}" if query else ""))
        raise HTTPException(status_code=401, detail="log in first")
    return Member(who.ctx, who.user, who.session)


async def form_post(request: Request, member: Member = Depends(signed_in)) -> FormPost:
    """Every state-changing form: logged in, and the form carries this session's CSRF token."""
    form = await request.form()
    check_csrf(form.get(CSRF_FIELD), member.session.csrf_token,
               "CSRF token missing or wrong; reload the page and try again")
    return FormPost(member.ctx, member.user, member.session, form)


def same_origin(request: Request) -> None:
    """Refuse form posts from other sites (threads are anonymous, so there is no session to
    carry a CSRF token; the browser's Origin and Sec-Fetch-Site headers say who posted)."""
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise PermissionDenied("cross-site form submissions are not accepted")
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.headers.get("host", ""):
        raise PermissionDenied("cross-site form submissions are not accepted")


def api_caller(request: Request, response: Response,
               ctx: ArticlesContext = Depends(context)) -> ApiCaller:
    """The JSON API authenticates with bearer tokens only (no cookies, hence no CSRF)."""
    header = request.headers.get("authorization", "")
    if not header:
        return ApiCaller(ctx, None)
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(status_code=401, detail="use 'Authorization: Bearer <token>'",
                            headers={"WWW-Authenticate": 'Bearer realm="citemed"'})
    # What a token holder reads may be a draft: never cached.
    response.headers["Cache-Control"] = "no-store"
    return ApiCaller(ctx, ctx.accounts.user_for_token(token.strip()))


def api_writer(who: ApiCaller = Depends(api_caller)) -> ApiCaller:
    if who.user is None:
        raise HTTPException(status_code=401, detail="an API token is required",
                            headers={"WWW-Authenticate": 'Bearer realm="citemed"'})
    return who
