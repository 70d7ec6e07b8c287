"""Reading tracks: scoped to the owner for the API, by id for a request already proven by signature."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from music_studio.db.tables import tracks
from music_studio.errors import NotFound
from music_studio.jobs import Owner


def get(engine_db: sa.Engine, owner: Owner, track_id: str) -> sa.Row[Any]:
    query = sa.select(tracks).where(
        tracks.c.id == track_id,
        tracks.c.organization_id == owner.organization_id,
        tracks.c.user_id == owner.user_id,
    )
    with engine_db.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        raise NotFound("no such track for this caller")
    return row


def get_for_media(engine_db: sa.Engine, track_id: str) -> sa.Row[Any]:
    """A track by id alone: only for the media route, whose signature already names the track."""
    with engine_db.connect() as conn:
        row = conn.execute(sa.select(tracks).where(tracks.c.id == track_id)).first()
    if row is None:
        raise NotFound("no such track for this caller")
    return row
