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

API = "/api/v1/articles"
router = APIRouter(prefix=API, tags=["articles"])


@router.get("")
def api_list(who: ApiCaller = Depends(api_caller)) -> dict[str, Any]:
    return {"articles": [article_json(a) for a in who.ctx.service.public_articles()]}


@router.post("", status_code=201)
def api_create(request: Request, body: CreateRequest,
               who: ApiCaller = Depends(api_writer)) -> JSONResponse:
    assert who.user is not None
    article = create_article(request, who.ctx, who.user, body.question, body.slug)
    return JSONResponse(article_json(article), status_code=201)


@router.get("/{slug}")
def api_get(slug: str, who: ApiCaller = Depends(api_caller)) -> dict[str, Any]:
    article = who.ctx.service.get(slug, who.user)
    return article_json(article, who.ctx.service.version(slug, None, who.user).content)


@router.post("/{slug}/edits")
def api_edit(slug: str, body: EditRequest,
             who: ApiCaller = Depends(api_writer)) -> dict[str, Any]:
    return article_json(who.ctx.service.edit(who.user, slug, revision=body.revision,
                                             edit=ContentEdit(audience=body.audience,
                                                              sections=body.sections)))


@router.post("/{slug}/transitions")
def api_transition(slug: str, body: TransitionRequest,
                   who: ApiCaller = Depends(api_writer)) -> dict[str, Any]:
    return article_json(who.ctx.service.transition(who.user, slug, body.action,
                                                   revision=body.revision, comment=body.comment))


@router.post("/{slug}/restore")
def api_restore(slug: str, body: RestoreRequest,
                who: ApiCaller = Depends(api_writer)) -> dict[str, Any]:
    return article_json(who.ctx.service.restore(who.user, slug, revision=body.revision,
                                                number=body.version))


@router.get("/{slug}/versions")
def api_versions(slug: str, who: ApiCaller = Depends(api_caller)) -> dict[str, Any]:
    return {"versions": [
        {"version": v.number, "summary": v.summary, "library_version": v.library_version,
         "author": v.author.display_name or v.author.username,
         "created_at": v.created_at.isoformat() + "Z"}
        for v in who.ctx.service.versions(slug, who.user)]}


@router.get("/{slug}/versions/{number}")
def api_version(slug: str, number: int, who: ApiCaller = Depends(api_caller)) -> dict[str, Any]:
    return {"version": number, "content": who.ctx.service.version(slug, number, who.user).content}


@router.get("/{slug}/diff")
def api_diff(slug: str, old: int, new: int,
             who: ApiCaller = Depends(api_caller)) -> dict[str, Any]:
    return {"old": old, "new": new, "diff": who.ctx.service.diff(slug, who.user, old, new)}


@router.get("/{slug}/audit")
def api_audit(slug: str, who: ApiCaller = Depends(api_caller)) -> dict[str, Any]:
    return {"audit": [
        {"at": e.created_at.isoformat() + "Z", "actor": e.actor_name, "action": e.action,
         "from": e.from_state, "to": e.to_state, "version": e.version, "detail": e.detail}
        for e in who.ctx.service.audit(slug, who.user)]}
