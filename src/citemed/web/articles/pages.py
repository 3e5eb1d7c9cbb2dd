"""Article pages: the public list and reader view, the editor's new-article and edit forms,
versions with diff and restore, workflow transitions and the review dashboard."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from citemed.articles.content import AUDIENCES
from citemed.articles.service import role_of
from citemed.articles.workflow import QUEUE_STATES, Role, State, available_transitions, can_edit
from citemed.errors import InputError, PermissionDenied
from citemed.web.articles.forms import edit_from_form, int_field, text_field
from citemed.web.articles.render import create_article, page, to_article
from citemed.web.auth import Caller, FormPost, Member, caller, form_post, signed_in
from citemed.web.validation import OptionalQueryVersion, PathVersion

router = APIRouter(include_in_schema=False)


@router.get("/articles", response_class=HTMLResponse)
def list_articles(request: Request, who: Caller = Depends(caller)) -> Response:
    drafts = who.ctx.service.own_drafts(who.user) if who.user else []
    return page(request, who, "articles_list.html", articles=who.ctx.service.public_articles(),
                drafts=drafts)


# Declared before /articles/{slug}, which would otherwise take "new" for a slug.
@router.get("/articles/new", response_class=HTMLResponse)
def new_article_page(request: Request, q: str = "",
                     member: Member = Depends(signed_in)) -> Response:
    """`?q=` pre-fills the question, so an answer page can offer "save as article"."""
    if member.user.role != Role.EDITOR:
        raise PermissionDenied("only editors create articles")
    return page(request, member, "articles_new.html", question=q)


@router.post("/articles/new")
def new_article(request: Request, post: FormPost = Depends(form_post)) -> Response:
    article = create_article(request, post.ctx, post.user, text_field(post.form, "question"),
                             text_field(post.form, "slug") or None)
    return to_article(article.slug)


@router.get("/articles/{slug}", response_class=HTMLResponse)
def show_article(request: Request, slug: str, who: Caller = Depends(caller)) -> Response:
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


@router.get("/articles/{slug}/edit", response_class=HTMLResponse)
def edit_page(request: Request, slug: str, audience: str = "clinician",
              member: Member = Depends(signed_in)) -> Response:
    service, user = member.ctx.service, member.user
    article = service.get(slug, user)
    if not can_edit(State(article.state), role_of(user), user.id == article.author_id):
        raise PermissionDenied(
            f"you cannot edit this article while it is {State(article.state).label.lower()}")
    content = service.content(slug, user)
    if audience not in content:
        raise InputError(f"this article has no {audience!r} version")
    return page(request, member, "articles_edit.html", article=article, answer=content[audience],
                audience=audience, audiences=[a for a in AUDIENCES if a in content])


@router.post("/articles/{slug}/edit")
def edit_article(slug: str, post: FormPost = Depends(form_post)) -> Response:
    post.ctx.service.edit(post.user, slug, revision=int_field(post.form, "revision"),
                          edit=edit_from_form(post.form))
    return to_article(slug)


@router.post("/articles/{slug}/transition/{action}")
def transition(slug: str, action: str, post: FormPost = Depends(form_post)) -> Response:
    post.ctx.service.transition(post.user, slug, action,
                                revision=int_field(post.form, "revision"),
                                comment=text_field(post.form, "comment"))
    return to_article(slug)


@router.post("/articles/{slug}/restore/{number}")
def restore(slug: str, number: PathVersion, post: FormPost = Depends(form_post)) -> Response:
    post.ctx.service.restore(post.user, slug, revision=int_field(post.form, "revision"),
                             number=number)
    return to_article(slug)


@router.get("/articles/{slug}/versions", response_class=HTMLResponse)
def versions_page(request: Request, slug: str, old: OptionalQueryVersion = None,
                  new: OptionalQueryVersion = None,
                  who: Caller = Depends(caller)) -> Response:
    service = who.ctx.service
    article = service.get(slug, who.user)
    diff = service.diff(slug, who.user, old, new) if old is not None and new is not None else None
    editable = can_edit(State(article.state), role_of(who.user),
                        who.user is not None and who.user.id == article.author_id)
    return page(request, who, "articles_versions.html", article=article,
                versions=service.versions(slug, who.user), diff=diff, old=old, new=new,
                editable=editable)


@router.get("/review", response_class=HTMLResponse)
def review_dashboard(request: Request, member: Member = Depends(signed_in)) -> Response:
    items = member.ctx.service.queue(member.user)
    groups = [(state.label, [i for i in items if i.article.state == state and
                             not i.article.stale]) for state in QUEUE_STATES]
    groups.append(("New evidence: re-review", [i for i in items if i.article.stale]))
    return page(request, member, "articles_review.html", groups=groups)
