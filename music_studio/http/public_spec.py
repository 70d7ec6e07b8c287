"""Serve a public copy of the contract at /v1/openapi.json (and .yaml) that names no internals.

Connexion serves the contract as loaded, which names our Python functions (dotted `operationId`s,
`x-apikeyInfoFunc`). The public copy reduces each operationId (and every link's) to the function
name, which is unique across the contract, and drops every `x-` vendor key. Swagger UI at /v1/ui/
loads the same URL, so it shows the public copy.
"""

from __future__ import annotations

from typing import Any

import orjson
import yaml
from starlette.types import ASGIApp, Receive, Scope, Send

from music_studio.http.contract import document


def sanitise(node: Any) -> Any:
    if isinstance(node, dict):
        clean: dict[str, Any] = {}
        for key, value in node.items():
            if isinstance(key, str) and key.startswith("x-"):
                continue
            if key == "operationId" and isinstance(value, str):
                value = value.rsplit(".", 1)[-1]
            clean[key] = sanitise(value)
        return clean
    if isinstance(node, list):
        return [sanitise(item) for item in node]
    return node


def public_spec(contract: dict[str, Any]) -> dict[str, Any]:
    spec = sanitise(contract)
    ids = [op["operationId"] for item in spec["paths"].values() for op in item.values() if isinstance(op, dict)]
    if len(ids) != len(set(ids)):
        raise ValueError("operationIds are not unique once reduced to function names")
    return spec  # type: ignore[no-any-return]


class PublicSpecMiddleware:
    def __init__(self, app: ASGIApp, json_path: str = "/v1/openapi.json") -> None:
        self.app = app
        spec = public_spec(document())
        self.documents = {
            json_path: (orjson.dumps(spec), b"application/json"),
            json_path.removesuffix(".json") + ".yaml": (
                yaml.safe_dump(spec, sort_keys=False, allow_unicode=True).encode(),
                b"text/yaml; charset=utf-8",
            ),
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        document = self.documents.get(scope["path"]) if scope["type"] == "http" else None
        if document is None or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        body, content_type = document
        headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body if scope["method"] == "GET" else b""})
