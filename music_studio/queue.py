"""The jobs table as a work queue: claim with a lease, heartbeat, finish, reap.

Every transition is a conditional UPDATE on the expected current state and on the lease holder,
so a cancelled or finished job is never overwritten and a job is rendered to success at most once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from music_studio import wakeup
from music_studio.db.connection import writing
from music_studio.db.tables import jobs, tracks
from music_studio.jobs import terminal_columns

REAPED_MESSAGE = "Rendering did not finish after several attempts. Please try again."
FAILED_MESSAGE = "Rendering failed. Please try again."


def _now() -> datetime:
    return datetime.now(UTC)


def claim(engine: sa.Engine, worker_id: str, lease_seconds: int) -> sa.Row[Any] | None:
    """Take the oldest queued job (SKIP LOCKED on PostgreSQL; the write lock on SQLite)."""
    now = _now()
    oldest = (
        sa.select(jobs.c.id)
        .where(jobs.c.status == "queued")
        .order_by(jobs.c.created_at, jobs.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    statement = (
        jobs.update()
        .where(jobs.c.id == oldest, jobs.c.status == "queued")
        .values(
            status="running",
            claimed_by=worker_id,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            started_at=sa.func.coalesce(jobs.c.started_at, now),
            attempts=jobs.c.attempts + 1,
            updated_at=now,
        )
        .returning(*jobs.c)
    )
    with writing(engine) as conn:
        return conn.execute(statement).first()


def _held(job_id: str, worker_id: str) -> sa.ColumnElement[bool]:
    return sa.and_(jobs.c.id == job_id, jobs.c.status == "running", jobs.c.claimed_by == worker_id)


def heartbeat(engine: sa.Engine, job_id: str, worker_id: str, progress: int, lease_seconds: int) -> bool:
    """Extend the lease and raise progress (never lower it); False once the job is no longer ours."""
    now = _now()
    statement = (
        jobs.update()
        .where(_held(job_id, worker_id))
        .values(
            progress=sa.func.max(jobs.c.progress, progress)
            if engine.dialect.name == "sqlite"
            else sa.func.greatest(jobs.c.progress, progress),
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            updated_at=now,
        )
    )
    with writing(engine) as conn:
        return conn.execute(statement).rowcount == 1


def succeed(engine: sa.Engine, job_id: str, worker_id: str, track: dict[str, Any]) -> bool:
    """Insert the track and mark the job succeeded in one transaction; False if we lost the job."""
    now = _now()
    with writing(engine) as conn:
        done = conn.execute(
            jobs.update()
            .where(_held(job_id, worker_id))
            .values(status="succeeded", progress=100, result_track_id=track["id"], **terminal_columns(now))
        )
        if done.rowcount != 1:
            return False
        conn.execute(tracks.insert().values(**track, created_at=now))
    return True


def fail(engine: sa.Engine, job_id: str, worker_id: str, message: str = FAILED_MESSAGE) -> bool:
    now = _now()
    with writing(engine) as conn:
        result = conn.execute(
            jobs.update()
            .where(_held(job_id, worker_id))
            .values(status="failed", error_message=message, **terminal_columns(now))
        )
    return result.rowcount == 1


def reap(engine: sa.Engine, max_attempts: int) -> tuple[int, int]:
    """Requeue running jobs whose lease expired, or fail them after max_attempts; (requeued, failed)."""
    now = _now()
    expired = sa.and_(jobs.c.status == "running", jobs.c.lease_expires_at < now)
    with writing(engine) as conn:
        failed = conn.execute(
            jobs.update()
            .where(expired, jobs.c.attempts >= max_attempts)
            .values(status="failed", error_message=REAPED_MESSAGE, **terminal_columns(now))
        ).rowcount
        requeued = conn.execute(
            jobs.update()
            .where(expired, jobs.c.attempts < max_attempts)
            .values(status="queued", claimed_by=None, lease_expires_at=None, updated_at=now)
        ).rowcount
        if requeued:
            wakeup.announce(conn)
    return requeued, failed


def status_of(engine: sa.Engine, job_id: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(sa.select(jobs.c.status).where(jobs.c.id == job_id)).scalar()
