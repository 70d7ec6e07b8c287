"""Apply the rate limits where the caller is known: right after Connexion's security middleware.

Placed at `MiddlewarePosition.BEFORE_VALIDATION`, this runs once routing has named the operation
and security has authenticated the key (the principal is in the Connexion context), and before
the body is read and validated or the handler touches the database. So a refused request costs
one bucket update; an unknown or revoked key never reaches a bucket (it is a 401 first).

- `create_generation`: the creates bucket of the API key.
- Every other operation with a principal: the reads bucket of the API key.
- The media route (no API key): the media bucket of the client address (uvicorn's, which honours
  X-Forwarded-For only from trusted proxies).
- Health probes and unrouted paths: not limited.

A refused request is 429 `RATE_LIMITED` with `Retry-After`; allowed responses carry
`X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` too.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from music_studio.errors import RateLimited
from music_studio.ratelimit import Decision, Limits, Rule

CREATE_OPERATIONS = frozenset({"handlers.generations.create_generation"})
MEDIA_OPERATIONS = frozenset({"handlers.media.get_media", "handlers.media.head_media"})


def rate_limit_headers(decision: Decision) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(decision.limit),
        "X-RateLimit-Remaining": str(decision.remaining),
        "X-RateLimit-Reset": str(decision.reset),
    }


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, limits: Limits | None) -> None:
        self.app = app
        self.limits = limits

    def _bucket(self, scope: Scope) -> tuple[str, str, Rule] | None:
        assert self.limits is not None
        extensions: dict[str, Any] = scope.get("extensions") or {}
        operation = (extensions.get("connexion_routing") or {}).get("operation_id")
        if operation in MEDIA_OPERATIONS:
            client = scope.get("client")
            return "media", client[0] if client else "unknown", self.limits.media
        token_info = (extensions.get("connexion_context") or {}).get("token_info")
        principal = token_info.get("principal") if isinstance(token_info, dict) else None
        if principal is None:
            return None
        if operation in CREATE_OPERATIONS:
            return "creates", principal.key_id, self.limits.creates
        return "reads", principal.key_id, self.limits.reads

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        bucket = self._bucket(scope) if scope["type"] == "http" and self.limits is not None else None
        if bucket is None:
            await self.app(scope, receive, send)
            return
        assert self.limits is not None
        decision = await self.limits.buckets.take(*bucket)
        if decision is None:
            await self.app(scope, receive, send)
            return
        headers = rate_limit_headers(decision)
        if not decision.allowed:
            raise RateLimited(
                f"rate limit of {bucket[2].per_minute} requests per minute (burst {bucket[2].burst}) exceeded",
                details={"limit": decision.limit, "retry_after_seconds": decision.retry_after},
                headers={**headers, "Retry-After": str(decision.retry_after)},
            )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(headers)
            await send(message)

        await self.app(scope, receive, send_with_headers)
