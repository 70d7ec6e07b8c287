"""Engines tag."""

from __future__ import annotations

from typing import Any

from handlers.deps import JSON, owner
from music_studio import representations
from music_studio.engines import registry


def list_engines(organization_id: str, token_info: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """List the engines enabled for the organisation."""
    owner(organization_id, token_info)
    return {"engines": [representations.engine(e) for e in registry().values()]}, 200, JSON
