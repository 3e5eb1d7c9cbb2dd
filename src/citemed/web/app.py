"""The ASGI application: `create_app(settings) -> FastAPI`.

Other packages add routes through APIRouters (the articles router is included here, sharing the
warm Engine, whose lock makes that safe); they find shared state on `app.state`:
    app.state.settings   Settings
    app.state.service    AnswerService (warm Engine, answer cache, threads)
    app.state.templates  Jinja2Templates over web/templates (autoescape on); extend base.html
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.concurrency import run_in_threadpool

from citemed import __version__
from citemed.library.builder import building_notice
from citemed.settings import Settings
from citemed.web import errors
from citemed.web.auth import LoginRequired, login_required_handler
from citemed.web.middleware import BodyLimit, CatchErrors, SecurityHeaders
from citemed.web.service import AnswerService
from citemed.web.views import TEMPLATE_GLOBALS

HERE = Path(__file__).parent

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

    # Added innermost first: SecurityHeaders wraps everything, so the body limit's 413 and
    # CatchErrors' 500 carry the headers too.
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(CatchErrors)
    app.add_middleware(SecurityHeaders)
    errors.install(app)
    app.add_exception_handler(LoginRequired, login_required_handler)

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    from citemed.web import api, articles, pages

    app.include_router(api.router)
    app.include_router(pages.router)
    # Articles answer through app.state.service, so saving an answer never loads a second model;
    # the router's lifespan opens and migrates the articles database (app.state.articles).
    app.include_router(articles.router)
    return app
