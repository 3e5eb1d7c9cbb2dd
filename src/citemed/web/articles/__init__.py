"""Web layer of the editorial workflow: login/logout, editor and reviewer pages, the review
dashboard, account pages and the JSON API under /api/v1/articles.

Thin by design: every permission, state and citation rule is enforced in citemed.articles; these
modules only authenticate the caller (citemed.web.auth) and check CSRF tokens on form posts.
Errors are CiteMedErrors, which create_app's handlers turn into an error page or a JSON error.

    accounts.py  login, logout, API tokens, user admin (HTML forms)
    pages.py     article, versions and review pages (HTML forms)
    api.py       the JSON API (bearer tokens)
    schemas.py   JSON request and response bodies
    render.py    page rendering, the article JSON, creating an article from the engine
    forms.py     reading the HTML edit form

create_app includes `router`. The articles database (settings.database_url(), migrated when the
server starts) lives on `app.state.articles`; answers come from the app's warm
`app.state.service`.
"""

from __future__ import annotations

from fastapi import APIRouter

from citemed.web.articles import accounts, api, pages
from citemed.web.context import ArticlesContext, lifespan

router = APIRouter(lifespan=lifespan)
router.include_router(accounts.router)
router.include_router(pages.router)
router.include_router(api.router)

__all__ = ["ArticlesContext", "router"]
