"""A bare Starlette app doing the same work as Music Studio's hot routes, as a yardstick.

Same database file, same signing key, same JSON documents: hashed API-key lookup (with the
caller's memberships), one scoped SELECT, an HMAC-signed playback URL, `json.dumps`. No
contract validation, no middleware, no SQLAlchemy: the cost of the work itself on this machine,
so `bench/http.py` can print the service's cost as a ratio that does not depend on the machine.

Configured by BENCH_DB (SQLite file), BENCH_SIGNING_KEY (`kid:secret`), BENCH_BASE_URL.
Run: uvicorn bench.reference_app:app --host 127.0.0.1 --port P --no-access-log
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import threading
import time
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

DB = os.environ.get("BENCH_DB", "var/music-studio.db")
KID, _, SECRET = os.environ.get("BENCH_SIGNING_KEY", "k1:reference-secret-0123456789").partition(":")
BASE_URL = os.environ.get("BENCH_BASE_URL", "http://127.0.0.1:8000")
TTL, WINDOW = 900, 60
_local = threading.local()

KEY_SQL = (
    "SELECT api_keys.user_id, memberships.organization_id FROM api_keys "
    "LEFT OUTER JOIN memberships ON memberships.user_id = api_keys.user_id "
    "WHERE api_keys.key_hash = ? AND api_keys.revoked_at IS NULL"
)
JOB_COLS = (
    "id, status, progress, engine, mode, created_at, started_at, finished_at, result_track_id, "
    "error_message, refusal_reason"
)
TRACK_COLS = (
    "id, title, engine, mode, instrumental, measured_duration_seconds, mime_type, licence_class, "
    "commercial_use, requires_attribution, size_bytes, created_at, plan, segments"
)
GET_SQL = (
    f"SELECT {', '.join('jobs.' + c for c in JOB_COLS.split(', '))}, "
    f"{', '.join('tracks.' + c for c in TRACK_COLS.split(', '))} "
    "FROM jobs LEFT OUTER JOIN tracks ON tracks.id = jobs.result_track_id "
    "WHERE jobs.organization_id = ? AND jobs.user_id = ? AND jobs.id = ?"
)
LIST_SQL = (
    f"SELECT {JOB_COLS} FROM jobs WHERE organization_id = ? AND user_id = ? "
    "ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"
)
INSERT_SQL = (
    "INSERT INTO jobs (id, organization_id, user_id, engine, mode, status, progress, prompt, duration_seconds, "
    "instrumental, lyrics, style_tags, title, seed_track_id, seed, idempotency_key, request_hash, attempts, "
    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?, NULL, ?, NULL, NULL, ?, NULL, ?, 0, ?, ?)"
)


def _conn() -> sqlite3.Connection:
    conn: sqlite3.Connection | None = getattr(_local, "conn", None)
    if conn is None:
        conn = _local.conn = sqlite3.connect(DB, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout=30000")
    return conn


def _ts(value: str | None) -> str | None:
    return None if value is None else f"{value[:10]}T{value[11:19]}Z"


def _sign(track_id: str) -> tuple[str, str]:
    exp = -(-int(time.time() + TTL) // WINDOW) * WINDOW
    path = f"/v1/music/media/{track_id}.mp3"
    digest = hmac.new(SECRET.encode(), f"GET\n{path}\n{exp}".encode(), hashlib.sha256).digest()
    sig = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    expires = datetime.fromtimestamp(exp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{BASE_URL}{path}?exp={exp}&kid={KID}&sig={sig}", expires


def _caller(request: Request) -> tuple[str, str] | JSONResponse:
    key = request.headers.get("x-api-key")
    if not key:
        return JSONResponse({"detail": "missing api key"}, 401)
    digest = hashlib.sha256(key.encode()).hexdigest()
    rows = _conn().execute(KEY_SQL, (digest,)).fetchall()
    if not rows:
        return JSONResponse({"detail": "invalid api key"}, 401)
    org = request.path_params["organization_id"]
    if org not in {row[1] for row in rows}:
        return JSONResponse({"detail": "forbidden"}, 403)
    return org, rows[0][0]


def _job(row: tuple[Any, ...], with_track: bool) -> dict[str, Any]:
    track = None
    url = expires = None
    if with_track and row[1] == "succeeded" and row[11] is not None:
        url, expires = _sign(row[11])
        track = {
            "id": row[11],
            "title": row[12],
            "engine": row[13],
            "mode": row[14],
            "instrumental": bool(row[15]),
            "measured_duration_seconds": round(row[16], 3),
            "mime_type": row[17],
            "licence_class": row[18],
            "commercial_use": bool(row[19]),
            "requires_attribution": bool(row[20]),
            "size_bytes": row[21],
            "created_at": _ts(row[22]),
            "plan": json.loads(row[23]),
            "segments": None if row[24] is None else json.loads(row[24]),
            "playback_url": url,
            "playback_url_expires_at": expires,
        }
    return {
        "id": row[0],
        "status": row[1],
        "progress": row[2],
        "engine": row[3],
        "mode": row[4],
        "created_at": _ts(row[5]),
        "started_at": _ts(row[6]),
        "finished_at": _ts(row[7]),
        "result_track_id": row[8],
        "error_message": row[9],
        "refusal_reason": row[10],
        "playback_url": url,
        "playback_url_expires_at": expires,
        "track": track,
    }


async def get_generation(request: Request) -> JSONResponse:
    caller = _caller(request)
    if isinstance(caller, JSONResponse):
        return caller
    row = _conn().execute(GET_SQL, (*caller, request.path_params["job_id"])).fetchone()
    if row is None:
        return JSONResponse({"detail": "not found"}, 404)
    return JSONResponse(_job(row, with_track=True))


async def list_generations(request: Request) -> JSONResponse:
    caller = _caller(request)
    if isinstance(caller, JSONResponse):
        return caller
    limit = int(request.query_params.get("limit", "50"))
    offset = int(request.query_params.get("offset", "0"))
    rows = _conn().execute(LIST_SQL, (*caller, limit, offset)).fetchall()
    return JSONResponse({"jobs": [_job(row, with_track=False) for row in rows], "limit": limit, "offset": offset})


async def create_generation(request: Request) -> JSONResponse:
    caller = _caller(request)
    if isinstance(caller, JSONResponse):
        return caller
    body = json.loads(await request.body())
    job_id = f"mgen_{secrets.token_hex(12)}"
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    conn = _conn()
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(
        INSERT_SQL,
        (
            job_id,
            *caller,
            body["engine"],
            body.get("mode", "creation"),
            body["prompt"],
            body["duration_seconds"],
            int(body.get("instrumental", False)),
            json.dumps(body.get("style_tags", [])),
            secrets.randbelow(2**31),
            digest,
            now,
            now,
        ),
    )
    conn.execute("COMMIT")
    row = conn.execute(GET_SQL, (*caller, job_id)).fetchone()
    location = f"/v1/music/{caller[0]}/generations/{job_id}"
    return JSONResponse(_job(row, with_track=True), 202, headers={"Location": location, "Retry-After": "2"})


app = Starlette(
    routes=[
        Route("/v1/music/{organization_id}/generations/{job_id}", get_generation, methods=["GET"]),
        Route("/v1/music/{organization_id}/generations", list_generations, methods=["GET"]),
        Route("/v1/music/{organization_id}/generations", create_generation, methods=["POST"]),
    ]
)
