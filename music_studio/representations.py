"""JSON shapes of jobs, tracks and engines as the contract defines them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from music_studio.engines.base import Engine
from music_studio.signing import Signer


def _rfc3339(value: datetime) -> str:
    """RFC 3339 in UTC to the second; isoformat is several times cheaper than strftime."""
    return value.isoformat(timespec="seconds")[:19] + "Z"


def timestamp(value: datetime | None) -> str | None:
    return None if value is None else _rfc3339(value)


def track(row: Mapping[Any, Any], signer: Signer | None, prefix: str = "") -> dict[str, Any]:
    """A track from a row (or from the track_* columns of a job row when prefix="track_")."""
    track_id = row[f"{prefix}id"]
    url = signer.mint(track_id) if signer else None
    return {
        "id": track_id,
        "title": row[f"{prefix}title"],
        "engine": row[f"{prefix}engine"],
        "mode": row[f"{prefix}mode"],
        "instrumental": row[f"{prefix}instrumental"],
        "measured_duration_seconds": round(row[f"{prefix}measured_duration_seconds"], 3),
        "mime_type": row[f"{prefix}mime_type"],
        "licence_class": row[f"{prefix}licence_class"],
        "commercial_use": row[f"{prefix}commercial_use"],
        "requires_attribution": row[f"{prefix}requires_attribution"],
        "size_bytes": row[f"{prefix}size_bytes"],
        "created_at": timestamp(row[f"{prefix}created_at"]),
        "plan": row[f"{prefix}plan"],
        "segments": row[f"{prefix}segments"],
        "playback_url": url.url if url else None,
        "playback_url_expires_at": timestamp_epoch(url.expires_at) if url else None,
    }


def timestamp_epoch(epoch: int) -> str:
    return _rfc3339(datetime.fromtimestamp(epoch, UTC))


def job(row: Mapping[Any, Any], signer: Signer | None) -> dict[str, Any]:
    """A job; with a signer and a succeeded job, the track and a freshly minted playback URL."""
    has_track = signer is not None and row["status"] == "succeeded" and row.get("track_id") is not None
    embedded = track(row, signer, prefix="track_") if has_track else None
    return {
        "id": row["id"],
        "status": row["status"],
        "progress": row["progress"],
        "engine": row["engine"],
        "mode": row["mode"],
        "created_at": timestamp(row["created_at"]),
        "started_at": timestamp(row["started_at"]),
        "finished_at": timestamp(row["finished_at"]),
        "result_track_id": row["result_track_id"],
        "error_message": row["error_message"],
        "refusal_reason": row["refusal_reason"],
        "playback_url": embedded["playback_url"] if embedded else None,
        "playback_url_expires_at": embedded["playback_url_expires_at"] if embedded else None,
        "track": embedded,
    }


def engine(item: Engine) -> dict[str, Any]:
    caps = item.capabilities
    return {
        "engine_key": item.key,
        "name": item.name,
        "description": item.description,
        "version": item.version,
        "enabled": True,
        "modes": list(caps.modes),
        "min_duration_seconds": caps.min_duration_seconds,
        "max_duration_seconds": caps.max_duration_seconds,
        "vocals": caps.vocals,
        "lyrics": caps.lyrics,
        "stems": caps.stems,
        "languages": list(caps.languages),
        "licence_class": item.licence.licence_class,
        "commercial_use": item.licence.commercial_use,
        "requires_attribution": item.licence.requires_attribution,
    }
