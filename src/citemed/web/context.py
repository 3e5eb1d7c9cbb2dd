"""The articles side of the app's shared state: one ArticlesContext (database, accounts, article
service) per app, on `app.state.articles`, opened and migrated when the server starts."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from argon2 import PasswordHasher
from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool

from citemed.articles.auth import Accounts
from citemed.articles.db import Database
from citemed.articles.service import ArticleService
from citemed.settings import Settings


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
