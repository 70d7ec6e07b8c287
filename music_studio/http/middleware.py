"""Pure-ASGI middleware: request ids and hygiene headers, body size limit, CORS for media."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar
from typing import TYPE_CHECKING

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from music_studio.errors import PayloadTooLarge

if TYPE_CHECKING:
    from music_studio.services import Services

trace_id_var: ContextVar[str] = ContextVar("trace_id", default="-")
services_var: ContextVar[Services | None] = ContextVar("services", default=None)
"""The lifespan's Services for this request: a plain context variable is far cheaper per request
than `connexion.request.state` (a werkzeug LocalProxy, a ConnexionRequest and a Starlette State)."""

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
MEDIA_PREFIX = "/v1/music/media/"


class RequestIdMiddleware:
    """Echo a well-formed X-Request-ID (else make one) and stamp hygiene headers on every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = ""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        trace_id = incoming if _REQUEST_ID.match(incoming) else str(uuid.uuid4())
        trace_id_var.set(trace_id)
        state = scope.get("state")
        services_var.set(state.get("services") if state else None)
        is_media = scope["path"].startswith(MEDIA_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["x-request-id"] = trace_id
                headers["x-content-type-options"] = "nosniff"
                if (not is_media or message["status"] >= 400) and "cache-control" not in headers:
                    # API responses are per-caller and may carry signed URLs; media errors
                    # (expired, rate limited) must not be cached either.
                    headers["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimitMiddleware:
    """Refuse request bodies over max_bytes with 413, whether or not Content-Length is honest."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    raise PayloadTooLarge(
                        f"body of {declared} bytes exceeds the limit of {self.max_bytes}",
                        details={"limit_bytes": self.max_bytes},
                    )
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise PayloadTooLarge(
                        f"body exceeds the limit of {self.max_bytes} bytes",
                        details={"limit_bytes": self.max_bytes},
                    )
            return message

        await self.app(scope, limited_receive, send)


class MediaCorsMiddleware:
    """CORS for browser players on the media route only (it carries no credentials)."""

    ALLOW_METHODS = "GET, HEAD, OPTIONS"
    EXPOSE = "Accept-Ranges, Content-Range, Content-Length, Content-Type, X-Request-ID"

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(MEDIA_PREFIX):
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            await send(
                {
                    "type": "http.response.start",
                    "status": 204,
                    "headers": [
                        (b"access-control-allow-origin", b"*"),
                        (b"access-control-allow-methods", self.ALLOW_METHODS.encode()),
                        (b"access-control-allow-headers", b"Range"),
                        (b"access-control-max-age", b"600"),
                        (b"allow", self.ALLOW_METHODS.encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["access-control-allow-origin"] = "*"
                headers["access-control-expose-headers"] = self.EXPOSE
            await send(message)

        await self.app(scope, receive, send_with_cors)
