"""Connexion's Jsonifier on orjson: response bodies serialised in C instead of `json.dumps` + encoder class.

Our handlers return JSON-native values only (strings, numbers, booleans, None, lists, dicts), so
orjson's output is the same document in compact form (no trailing newline). Anything orjson
refuses (an integer beyond 64 bits, a type Connexion's encoder knows) goes to Connexion's own
`json.dumps` path, so no response that serialised before fails now.
"""

from __future__ import annotations

import typing as t

import orjson
from connexion.jsonifier import Jsonifier


class OrjsonJsonifier(Jsonifier):  # type: ignore[misc]
    def dumps(self, data: t.Any, **kwargs: t.Any) -> str:
        if not kwargs:
            try:
                return orjson.dumps(data).decode()
            except TypeError:  # orjson.JSONEncodeError is a TypeError
                pass
        dumped: str = super().dumps(data, **kwargs)
        return dumped
