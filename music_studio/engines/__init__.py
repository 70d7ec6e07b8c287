"""Registry of music engines keyed by engine_key."""

from __future__ import annotations

from functools import cache

from music_studio.engines.base import Engine


@cache
def registry() -> dict[str, Engine]:
    from music_studio.engines.studio import StudioEngine

    engines: list[Engine] = [StudioEngine()]
    return {engine.key: engine for engine in engines}


def get_engine(key: str) -> Engine | None:
    return registry().get(key)
