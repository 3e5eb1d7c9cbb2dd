"""Account pages: login and logout, API tokens, and the admin's user list."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from citemed.articles.auth import safe_next
from citemed.articles.models import User, utcnow
from citemed.articles.workflow import Role
from citemed.errors import CiteMedError, InputError, PermissionDenied
from citemed.web.articles.forms import int_field, text_field
from citemed.web.articles.render import page
from citemed.web.auth import (
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Caller,
    FormPost,
    Member,
    caller,
    check_csrf,
    cookie_secure,
    form_post,
    signed_in,
)
from citemed.web.validation import PathId

router = APIRouter(include_in_schema=False)
USER_FIELDS = ("username", "password", "role", "display_name", "credentials", "specialty")


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/articles",
               who: Caller = Depends(caller)) -> Response:
    token = secrets.token_urlsafe(32)
    response = page(request, who, "articles_login.html", login_csrf=token, message="",
                    next=safe_next(next, "/articles"))
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                        secure=cookie_secure(request, who.ctx.settings), path="/login")
    return response


@router.post("/login")
async def login(request: Request, who: Caller = Depends(caller)) -> Response:
    form = await request.form()
    # No session exists yet, so the login form uses a double-submit token (cookie + field).
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    check_csrf(form.get(CSRF_FIELD), expected, "login form expired; reload and retry")
    target = safe_next(text_field(form, "next"), "/articles")
    try:
        result = who.ctx.accounts.login(
            text_field(form, "username"), text_field(form, "password"),
            old_session=request.cookies.get(SESSION_COOKIE),
            client=request.client.host if request.client else None)
    except CiteMedError as error:
        return page(request, who, "articles_login.html", status_code=error.status_code,
                    login_csrf=expected, next=target, message=str(error))
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, result.session_token, httponly=True, samesite="lax",
                        secure=cookie_secure(request, who.ctx.settings), path="/")
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, post: FormPost = Depends(form_post)) -> Response:
    post.ctx.accounts.logout(request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/articles", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# ---------------------------------------------------------------------- API tokens


def token_page(request: Request, member: Member, new_token: str) -> Response:
    settings = member.ctx.settings
    return page(request, member, "articles_tokens.html",
                tokens=member.ctx.accounts.tokens(member.user), new_token=new_token,
                default_days=settings.api_token_days, max_days=settings.api_token_max_days,
                now=utcnow())


@router.get("/account/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, member: Member = Depends(signed_in)) -> Response:
    return token_page(request, member, new_token="")


@router.post("/account/tokens")
def create_token(request: Request, post: FormPost = Depends(form_post)) -> Response:
    settings = post.ctx.settings
    days = int_field(post.form, "days") if post.form.get("days") else settings.api_token_days
    _, plain = post.ctx.accounts.create_token(post.user, text_field(post.form, "name"),
                                              days=days, max_days=settings.api_token_max_days)
    return token_page(request, post, new_token=plain)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(token_id: PathId, post: FormPost = Depends(form_post)) -> Response:
    post.ctx.accounts.revoke_token(post.user, token_id)
    return RedirectResponse("/account/tokens", status_code=303)


# ---------------------------------------------------------------------- user admin


def require_admin(user: User) -> None:
    if user.role != Role.ADMIN:
        raise PermissionDenied("only admins manage accounts")


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, member: Member = Depends(signed_in)) -> Response:
    require_admin(member.user)
    return page(request, member, "articles_users.html", users=member.ctx.accounts.users(),
                roles=[r.value for r in Role])


@router.post("/admin/users")
def add_user(post: FormPost = Depends(form_post)) -> Response:
    require_admin(post.user)
    fields = {name: text_field(post.form, name) for name in USER_FIELDS}
    post.ctx.accounts.add_user(fields.pop("username"), fields.pop("password"),
                               fields.pop("role"), **fields)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{user_id}/active")
def set_active(user_id: PathId, post: FormPost = Depends(form_post)) -> Response:
    require_admin(post.user)
    if user_id == post.user.id:
        raise InputError("you cannot deactivate your own account")
    post.ctx.accounts.set_active(user_id, post.form.get("active") == "1")
    return RedirectResponse("/admin/users", status_code=303)
