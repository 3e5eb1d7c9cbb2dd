"""Every error the app answers with, in one format: JSON `{"error": ..., "status": ...}` under
/api/, the error page elsewhere, always with the security headers and never a traceback.

`install(app)` registers the handlers; `error_response` is also used by middleware that answers
before any route runs (the body size limit).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from citemed.errors import CiteMedError
from citemed.web.headers import add_security_headers

log = logging.getLogger("citemed.web")
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


def install(app: FastAPI) -> None:
    @app.exception_handler(CiteMedError)
    async def citemed_error(request: Request, error: CiteMedError) -> Response:
        return error_response(request, error.status_code, str(error))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        message = str(error.detail)
        if error.status_code == 400 and message == _BODY_PARSE_FAILED:
            message = _body_parse_message(error)
        # The exception's headers carry Allow (405) and WWW-Authenticate (401).
        return error_response(request, error.status_code, message, error.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> Response:
        return error_response(request, 422, describe_validation(list(error.errors())))

    @app.exception_handler(Exception)
    async def server_error(request: Request, error: Exception) -> Response:
        # Starlette runs this handler outside every middleware, so the headers are added here.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        message = "internal server error; the server log has the details"
        try:
            response = error_response(request, 500, message)
        except Exception:  # the error page itself may be what is broken
            response = PlainTextResponse(message, status_code=500)
        for name, value in add_security_headers({}, request.url.path, 500).items():
            response.headers.setdefault(name, value)
        return response


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
