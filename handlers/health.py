"""Health tag: liveness and readiness."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from handlers.deps import JSON, services
from music_studio.db.migrate import is_current


def healthz() -> tuple[dict[str, Any], int, dict[str, str]]:
    """The process is up."""
    return {"status": "ok"}, 200, JSON


def readyz() -> tuple[dict[str, Any], int, dict[str, str]]:
    """The database is reachable and migrated to the newest revision."""
    try:
        ready = is_current(services().db)
    except sa.exc.SQLAlchemyError:
        ready = False
    if not ready:
        return {"status": "unavailable", "database": "unreachable or not migrated"}, 503, JSON
    return {"status": "ok", "database": "ok"}, 200, JSON
