"""Every error the app answers with, in one format: JSON `{"error": ..., "status": ...}` under
/api/, the error page elsewhere, always with the security headers and never a traceback.

`install(app)` registers the handlers; `error_response` is also used by middleware that answers
before any route runs (the body size limit).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import Scope

from citemed.errors import CiteMedError

# FastAPI's own words when the body cannot be read as JSON for a reason other than syntax.
_BODY_PARSE_FAILED = "There was an error parsing the body"
_PARAMETER_KINDS = ("path", "query", "header", "cookie")


class ErrorOut(BaseModel):
    """The body of every JSON error response."""

    error: str
    status: int


def error_response(where: Request | Scope, status: int, message: str,
                   headers: Mapping[str, str] | None = None) -> Response:
    request = where if isinstance(where, Request) else Request(where)
    extra = dict(headers or {})
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": message, "status": status}, status_code=status,
                            headers=extra)
    templates = request.app.state.templates
    return templates.TemplateResponse(request, "error.html",
                                      {"status": status, "message": message},
                                      status_code=status, headers=extra)


def describe_validation(errors: list[Any]) -> str:
    """Pydantic's errors as one line naming each field: `question: ...; number (path): ...`."""
    problems = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        if error.get("type") == "json_invalid":
            problems.append(f"request body: invalid JSON ({error.get('ctx', {}).get('error', '')})"
                            .replace(" ()", ""))
            continue
        if loc and loc[0] in _PARAMETER_KINDS:
            where = f"{'.'.join(loc[1:])} ({loc[0]} parameter)"
        else:
            where = ".".join(part for part in loc if part != "body") or "request body"
        problems.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(problems) or "invalid request"


def _body_parse_message(error: StarletteHTTPException) -> str:
    cause = error.__cause__
    if isinstance(cause, RecursionError):
        return "request body: JSON nested too deeply"
    if isinstance(cause, UnicodeDecodeError):
        return "request body: not valid UTF-8"
    return "request body: could not be parsed"


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> str:
    """Every method some route serves at this path. Starlette's own Allow names only the first
    route that matched the path, so GET /x and POST /x (two routes) answered `Allow: GET`.
    Asking the routes whether each method would fully match works through included routers
    too, whose routes FastAPI does not expose."""
    routes = request.app.router.routes
    allowed = [method for method in _METHODS
               if any(route.matches({**request.scope, "method": method})[0] is Match.FULL
                      for route in routes)]
    return ", ".join(allowed)


def install(app: FastAPI) -> None:
    @app.exception_handler(CiteMedError)
    async def citemed_error(request: Request, error: CiteMedError) -> Response:
        return error_response(request, error.status_code, str(error))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        message = str(error.detail)
        if error.status_code == 400 and message == _BODY_PARSE_FAILED:
            message = _body_parse_message(error)
        headers = dict(error.headers or {})  # WWW-Authenticate (401), Allow (405)
        if error.status_code == 405:
            headers["Allow"] = allowed_methods(request)
        return error_response(request, error.status_code, message, headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> Response:
        return error_response(request, 422, describe_validation(list(error.errors())))


ERROR_DESCRIPTIONS = {
    400: "Unusable input (the message names the field and the rule)",
    401: "No valid API token: send 'Authorization: Bearer <token>'",
    403: "The token's user may not do this",
    404: "No such thing, or not visible to this caller",
    409: "The article changed since the given revision, or the name is taken",
    413: "Request body over the server's limit (CITEMED_MAX_BODY_BYTES)",
    422: "The request does not match this schema (the message names the field)",
}


def responses(*statuses: int, **descriptions: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these error statuses, each with the ErrorOut body;
    `descriptions` overrides a description by status (`_404="..."`)."""
    return {status: {"model": ErrorOut,
                     "description": descriptions.get(f"_{status}", ERROR_DESCRIPTIONS[status])}
            for status in statuses}
