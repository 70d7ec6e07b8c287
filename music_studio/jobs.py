"""The job lifecycle as clients drive it: submit (with policy and idempotency), read, list, cancel.

Every query is scoped by (organisation, user); nothing is looked up by id alone.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from music_studio import ids, policy, wakeup
from music_studio.db.connection import writing
from music_studio.db.prepared import PreparedRead
from music_studio.db.tables import jobs, tracks
from music_studio.engines import get_engine
from music_studio.errors import IdempotencyKeyReused, NotFound, ValidationFailed

TERMINAL = frozenset({"succeeded", "failed", "cancelled", "refused"})
ACTIVE = frozenset({"queued", "running"})


def terminal_columns(now: datetime) -> dict[str, Any]:
    """Columns every move to a terminal state sets: finished, and any lease released."""
    return {"finished_at": now, "updated_at": now, "claimed_by": None, "lease_expires_at": None}


@dataclass(frozen=True)
class Owner:
    organization_id: str
    user_id: str


@dataclass(frozen=True)
class Submission:
    engine: str
    prompt: str
    duration_seconds: int
    mode: str = "creation"
    instrumental: bool = False
    lyrics: str | None = None
    style_tags: tuple[str, ...] = ()
    title: str | None = None
    seed_track_id: str | None = None

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Submission:
        return cls(
            engine=body["engine"],
            prompt=body["prompt"],
            duration_seconds=body["duration_seconds"],
            mode=body.get("mode") or "creation",
            instrumental=bool(body.get("instrumental", False)),
            lyrics=body.get("lyrics") or None,
            style_tags=tuple(body.get("style_tags") or ()),
            title=body.get("title") or None,
            seed_track_id=body.get("seed_track_id") or None,
        )

    def fingerprint(self) -> str:
        """Hash of the request body, to tell an idempotent replay from a reused key."""
        canonical = json.dumps(self.__dict__, sort_keys=True, ensure_ascii=False, default=list)
        return hashlib.sha256(canonical.encode()).hexdigest()


def _scoped(owner: Owner) -> sa.ColumnElement[bool]:
    return sa.and_(jobs.c.organization_id == owner.organization_id, jobs.c.user_id == owner.user_id)


def _job_with_track() -> sa.Select[Any]:
    track_cols = [c.label(f"track_{c.name}") for c in tracks.c]
    return sa.select(jobs, *track_cols).select_from(jobs.outerjoin(tracks, tracks.c.id == jobs.c.result_track_id))


def check(engine_db: sa.Engine, owner: Owner, sub: Submission) -> None:
    """Rules the contract cannot express; raises ValidationFailed naming the field."""
    engine = get_engine(sub.engine)
    if engine is None:
        raise ValidationFailed("engine", f"unknown engine {sub.engine!r}")
    caps = engine.capabilities
    if sub.mode not in caps.modes:
        raise ValidationFailed("mode", f"engine {engine.key!r} does not support mode {sub.mode!r}")
    if not caps.min_duration_seconds <= sub.duration_seconds <= caps.max_duration_seconds:
        raise ValidationFailed(
            "duration_seconds",
            f"must be between {caps.min_duration_seconds} and {caps.max_duration_seconds} for engine {engine.key!r}",
        )
    if not sub.prompt.strip():
        raise ValidationFailed("prompt", "must not be blank")
    if sub.lyrics is not None:
        if sub.instrumental:
            raise ValidationFailed("lyrics", "lyrics cannot be combined with instrumental: true")
        if not caps.lyrics:
            raise ValidationFailed("lyrics", f"engine {engine.key!r} does not accept lyrics")
    if sub.seed_track_id is not None:
        query = sa.select(tracks.c.id).where(
            tracks.c.id == sub.seed_track_id,
            tracks.c.organization_id == owner.organization_id,
            tracks.c.user_id == owner.user_id,
        )
        with engine_db.connect() as conn:
            if conn.execute(query).first() is None:
                raise ValidationFailed("seed_track_id", "no such track")


def submit(
    engine_db: sa.Engine, owner: Owner, sub: Submission, idempotency_key: str | None
) -> tuple[dict[str, Any], bool]:
    """Create a job (queued, or refused by policy); returns (job, replayed)."""
    check(engine_db, owner, sub)
    fingerprint = sub.fingerprint()
    reason = policy.refusal_reason(sub.prompt, sub.title, sub.style_tags)
    now = datetime.now(UTC)
    job_id = ids.job_id()
    values = {
        "id": job_id,
        "organization_id": owner.organization_id,
        "user_id": owner.user_id,
        "engine": sub.engine,
        "mode": sub.mode,
        "status": "refused" if reason else "queued",
        "progress": 0,
        "prompt": sub.prompt,
        "duration_seconds": sub.duration_seconds,
        "instrumental": sub.instrumental,
        "lyrics": sub.lyrics,
        "style_tags": list(sub.style_tags),
        "title": sub.title,
        "seed_track_id": sub.seed_track_id,
        "seed": secrets.randbelow(2**31),
        "idempotency_key": idempotency_key,
        "request_hash": fingerprint,
        "refusal_reason": reason,
        "attempts": 0,
        "created_at": now,
        "finished_at": now if reason else None,
        "updated_at": now,
    }
    try:
        with writing(engine_db) as conn:
            conn.execute(jobs.insert().values(**values))
            if not reason:
                wakeup.announce(conn)
    except sa.exc.IntegrityError:
        if idempotency_key is None:
            raise
        # Another request with this key won the unique constraint: replay it or refuse.
        with engine_db.connect() as conn:
            existing = conn.execute(
                _job_with_track().where(_scoped(owner), jobs.c.idempotency_key == idempotency_key)
            ).one()
        if existing.request_hash != fingerprint:
            raise IdempotencyKeyReused(details={"field": "Idempotency-Key"}) from None
        return dict(existing._mapping), True
    return get(engine_db, owner, job_id), False


_JOB_VIEW = (
    "id status progress engine mode created_at started_at finished_at result_track_id error_message refusal_reason"
).split()
_TRACK_VIEW = (
    "id title engine mode instrumental measured_duration_seconds mime_type licence_class commercial_use "
    "requires_attribution size_bytes created_at plan segments"
).split()
"""What representations.job reads: the polling and list reads fetch and convert nothing else."""

_GET = (
    sa.select(*(jobs.c[name] for name in _JOB_VIEW), *(tracks.c[name].label(f"track_{name}") for name in _TRACK_VIEW))
    .select_from(jobs.outerjoin(tracks, tracks.c.id == jobs.c.result_track_id))
    .where(
        jobs.c.organization_id == sa.bindparam("organization_id"),
        jobs.c.user_id == sa.bindparam("user_id"),
        jobs.c.id == sa.bindparam("job_id"),
    )
)
"""Built once: the polling hot path pays for neither statement construction nor its cache key."""


_GET_READ = PreparedRead(_GET)
"""The same statement on the raw DBAPI connection (see db/prepared.py): every job read is one."""


def get(engine_db: sa.Engine, owner: Owner, job_id: str) -> dict[str, Any]:
    """The caller's job as representations.job reads it (track columns as track_*), keyed like `Row._mapping`."""
    params = {"organization_id": owner.organization_id, "user_id": owner.user_id, "job_id": job_id}
    found = _GET_READ.first(engine_db, params)
    if found is None:
        raise NotFound("no such job for this caller")
    return found


def _page(with_status: bool) -> PreparedRead:
    query = sa.select(*(jobs.c[name] for name in _JOB_VIEW)).where(
        jobs.c.organization_id == sa.bindparam("organization_id"), jobs.c.user_id == sa.bindparam("user_id")
    )
    if with_status:
        query = query.where(jobs.c.status == sa.bindparam("status"))
    order = query.order_by(jobs.c.created_at.desc(), jobs.c.id.desc())
    return PreparedRead(order.limit(sa.bindparam("limit")).offset(sa.bindparam("offset")))


_PAGES = {False: _page(False), True: _page(True)}
"""A page of the caller's jobs, with and without a status filter: built once, like the job read."""


def list_jobs(
    engine_db: sa.Engine, owner: Owner, *, status: str | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    """The caller's jobs, newest first (ties broken by id so pages are stable)."""
    params: dict[str, Any] = {
        "organization_id": owner.organization_id,
        "user_id": owner.user_id,
        "limit": limit,
        "offset": offset,
    }
    if status is not None:
        params["status"] = status
    return _PAGES[status is not None].all(engine_db, params)


def cancel(engine_db: sa.Engine, owner: Owner, job_id: str) -> dict[str, Any]:
    """Cancel a queued or running job at once; a terminal job is returned unchanged."""
    now = datetime.now(UTC)
    with writing(engine_db) as conn:
        conn.execute(
            jobs.update()
            .where(_scoped(owner), jobs.c.id == job_id, jobs.c.status.in_(ACTIVE))
            .values(status="cancelled", **terminal_columns(now))
        )
    return get(engine_db, owner, job_id)
