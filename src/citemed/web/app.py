"""The ASGI application: `create_app(settings) -> FastAPI`.

Other packages add routes through APIRouters (the articles router is included here, sharing the
warm Engine, whose lock makes that safe); they find shared state on `app.state`:
    app.state.settings   Settings
    app.state.service    AnswerService (warm Engine, answer cache, threads)
    app.state.templates  Jinja2Templates over web/templates (autoescape on); extend base.html
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from citemed import __version__
from citemed.errors import CiteMedError
from citemed.library.builder import building_notice
from citemed.settings import Settings
from citemed.web.service import AnswerService
from citemed.web.views import TEMPLATE_GLOBALS

HERE = Path(__file__).parent
log = logging.getLogger("citemed.web")

SECURITY_HEADERS = {
    # No inline script or style anywhere: every asset comes from /static.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def make_templates() -> Jinja2Templates:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals["version"] = __version__
    env.globals.update(TEMPLATE_GLOBALS)
    return Jinja2Templates(env=env)


def create_app(settings: Settings | None = None, *, service: AnswerService | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Load the indexes and the lay vocabulary before the first reader arrives.
        await run_in_threadpool(app.state.service.warm)
        yield
        app.state.service.close()

    app = FastAPI(
        title="CiteMed", version=__version__, lifespan=lifespan,
        description="Cited answers to medical questions from your own evidence library.",
        # Swagger UI would need a CDN and inline script; the schema itself is served.
        docs_url=None, redoc_url=None, openapi_url="/api/v1/openapi.json",
    )
    app.state.settings = settings
    app.state.service = service or AnswerService(settings)
    app.state.templates = make_templates()
    # While a background build prepares the dense index, pages say answers are keyword-only.
    app.state.templates.env.globals["index_notice"] = lambda: building_notice(settings.library)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.exception_handler(CiteMedError)
    async def citemed_error(request: Request, error: CiteMedError) -> Response:
        return _error_response(request, error.status_code, str(error))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        return _error_response(request, error.status_code, str(error.detail))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'] if p != 'body')}: {e['msg']}"
            for e in error.errors())
        return _error_response(request, 422, problems or "invalid request")

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    from citemed.web import api, articles, pages

    app.include_router(api.router)
    app.include_router(pages.router)
    # Articles answer through app.state.service, so saving an answer never loads a second model;
    # the router's lifespan opens and migrates the articles database (app.state.articles).
    app.include_router(articles.router)
    return app


def _error_response(request: Request, status: int, message: str) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": message, "status": status}, status_code=status)
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, "error.html",
                                      {"status": status, "message": message},
                                      status_code=status)
