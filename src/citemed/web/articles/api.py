"""The articles JSON API under /api/v1/articles: bearer tokens only (no cookies, so no CSRF)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from citemed.articles.content import ContentEdit
from citemed.web.articles.render import article_json, create_article
from citemed.web.articles.schemas import (
    CreateRequest,
    EditRequest,
    RestoreRequest,
    TransitionRequest,
)
from citemed.web.auth import ApiCaller, api_caller, api_writer
from citemed.web.errors import responses
from citemed.web.validation import PathVersion, QueryVersion

API = "/api/v1/articles"
# Any route may meet a malformed Authorization header or bad token (401), a body over the limit
# (413) or a malformed request (422).
router = APIRouter(prefix=API, tags=["articles"], responses=responses(401, 413, 422))
WRITE_ERRORS = responses(400, 403, 404, 409)
READ_ERRORS = responses(404)


@router.get("")
def api_list(who: ApiCaller = Depends(api_caller)) -> dict[str, Any]:
    return {"articles": [article_json(a) for a in who.ctx.service.public_articles()]}


@router.post("", status_code=201, responses=responses(400, 403, 409))
def api_create(request: Request, body: CreateRequest,
               who: ApiCaller = Depends(api_writer)) -> JSONResponse:
    assert who.user is not None
    article = create_article(request, who.ctx, who.user, body.question, body.slug)
    return JSONResponse(article_json(article), status_code=201)


@router.get("/{slug}", responses=READ_ERRORS)
def api_get(slug: str, who: ApiCaller = Depends(api_caller)) -> dict[str, Any]:
    article = who.ctx.service.get(slug, who.user)
    return article_json(article, who.ctx.service.version(slug, None, who.user).content)


@router.post("/{slug}/edits", responses=WRITE_ERRORS)
def api_edit(slug: str, body: EditRequest,
             who: ApiCaller = Depends(api_writer)) -> dict[str, Any]:
    return article_json(who.ctx.service.edit(who.user, slug, revision=body.revision,
                                             edit=ContentEdit(audience=body.audience,
                                                              sections=body.sections)))


@router.post("/{slug}/transitions", responses=WRITE_ERRORS)
def api_transition(slug: str, body: TransitionRequest,
                   who: ApiCaller = Depends(api_writer)) -> dict[str, Any]:
    return article_json(who.ctx.service.transition(who.user, slug, body.action,
                                                   revision=body.revision, comment=body.comment))


@router.post("/{slug}/restore", responses=WRITE_ERRORS)
def api_restore(slug: str, body: RestoreRequest,
                who: ApiCaller = Depends(api_writer)) -> dict[str, Any]:
    return article_json(who.ctx.service.restore(who.user, slug, revision=body.revision,
                                                number=body.version))


@router.get("/{slug}/versions", responses=READ_ERRORS)
def api_versions(slug: str, who: ApiCaller = Depends(api_caller)) -> dict[str, Any]:
    return {"versions": [
        {"version": v.number, "summary": v.summary, "library_version": v.library_version,
         "author": v.author.display_name or v.author.username,
         "created_at": v.created_at.isoformat() + "Z"}
        for v in who.ctx.service.versions(slug, who.user)]}


@router.get("/{slug}/versions/{number}", responses=READ_ERRORS)
def api_version(slug: str, number: PathVersion, who: ApiCaller = Depends(api_caller)) -> dict[str, Any]:
    return {"version": number, "content": who.ctx.service.version(slug, number, who.user).content}


@router.get("/{slug}/diff", responses=READ_ERRORS)
def api_diff(slug: str, old: QueryVersion, new: QueryVersion,
             who: ApiCaller = Depends(api_caller)) -> dict[str, Any]:
    return {"old": old, "new": new, "diff": who.ctx.service.diff(slug, who.user, old, new)}


@router.get("/{slug}/audit", responses=READ_ERRORS)
def api_audit(slug: str, who: ApiCaller = Depends(api_caller)) -> dict[str, Any]:
    return {"audit": [
        {"at": e.created_at.isoformat() + "Z", "actor": e.actor_name, "action": e.action,
         "from": e.from_state, "to": e.to_state, "version": e.version, "detail": e.detail}
        for e in who.ctx.service.audit(slug, who.user)]}
