"""ASGI middleware that must see every response, including the ones the routes never produce:
request body size limits (413) and the security headers.

Both are plain ASGI (not BaseHTTPMiddleware), so they wrap errors and early rejections alike and
never buffer a response.
"""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from citemed.web.errors import error_response
from citemed.web.headers import add_security_headers

log = logging.getLogger("citemed.web")


class SecurityHeaders:
    """Adds SECURITY_HEADERS (and the 401 challenge) to every HTTP response that lacks them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", []))
                present = {name.decode("latin-1").lower(): value for name, value in raw}
                wanted = add_security_headers({k: v.decode("latin-1") for k, v in present.items()},
                                              scope["path"], message["status"])
                raw += [(name.lower().encode("latin-1"), value.encode("latin-1"))
                        for name, value in wanted.items() if name.lower() not in present]
                message = {**message, "headers": raw}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class CatchErrors:
    """Turns an unhandled exception into a logged 500 in the app's error format.

    Starlette's own 500 path re-raises to the server, which then drops the keep-alive
    connection under the client's next request; answering here ends the exchange cleanly, and
    the response still passes through SecurityHeaders (this middleware sits inside it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tracked = _TrackedSend(send)
        try:
            await self.app(scope, receive, tracked)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if tracked.started:  # too late for an error response; the server closes the connection
                return
            message = "internal server error; the server log has the details"
            try:
                response = error_response(scope, 500, message)
            except Exception:  # the error page itself may be what is broken
                response = PlainTextResponse(message, status_code=500)
            await response(scope, receive, send)


class BodyTooLarge(HTTPException):
    """Raised while the body is read; an HTTPException so FastAPI's body parser passes it on to
    the app's error handler (JSON for /api/, the error page otherwise) instead of a generic 400."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=(
            f"request body too large: the limit is {limit:,} bytes (CITEMED_MAX_BODY_BYTES)"))


class BodyLimit:
    """Caps request bodies at `limit` bytes: a larger Content-Length is refused before anything
    is read, and a chunked (or lying) body is cut off as soon as it passes the limit, so a
    client can never make the server hold more than `limit` bytes of one body."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            await self._refuse(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        tracked = _TrackedSend(send)
        try:
            await self.app(scope, counting_receive, tracked)
        except BodyTooLarge:
            # Read by code that does not turn it into a response itself (not FastAPI's parser).
            if tracked.started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(scope, 413, str(BodyTooLarge(self.limit).detail))
        response.headers["Connection"] = "close"  # the rest of the body is not read
        await response(scope, receive, send)


class _TrackedSend:
    """`send` that remembers whether the response has started: after that an error can no
    longer be answered with an error page."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.started = False

    async def __call__(self, message: Message) -> None:
        self.started = self.started or message["type"] == "http.response.start"
        await self.send(message)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server (h11, httptools) refuses such requests itself
    return None
