"""The methods each path of the contract allows, for a truthful `Allow` header on 405.

Starlette answers 405 from the first route whose path matches, so its `Allow` lists only that
route's methods; we compute it from the whole contract instead.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from music_studio.http.contract import document

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class AllowedMethods:
    def __init__(self, spec: dict[str, Any]) -> None:
        self._routes: list[tuple[re.Pattern[str], str]] = []
        for path, item in spec["paths"].items():
            # Only documented methods: Starlette also answers HEAD for every GET, but the
            # contract (and so Schemathesis' ST205) lists what is documented.
            methods = {m.upper() for m in item if m in _METHODS}
            pattern = re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path)) + "$")
            self._routes.append((pattern, ", ".join(sorted(methods))))

    def for_path(self, path: str) -> str | None:
        for pattern, allow in self._routes:
            if pattern.match(path):
                return allow
        return None


@cache
def allowed_methods() -> AllowedMethods:
    """The contract's AllowedMethods, built on first use (the first 405), not at import."""
    return AllowedMethods(document())
