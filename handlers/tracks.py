"""Tracks tag."""

from __future__ import annotations

from typing import Any

from handlers.deps import JSON, owner, services
from music_studio import representations, tracks


def get_track(
    organization_id: str, track_id: str, token_info: dict[str, Any]
) -> tuple[dict[str, Any], int, dict[str, str]]:
    """One track with a fresh playback URL."""
    caller = owner(organization_id, token_info)
    svc = services()
    row = tracks.get(svc.db, caller, track_id)
    return representations.track(row._mapping, svc.signer), 200, JSON
