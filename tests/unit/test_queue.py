"""Claims, leases, conditional transitions and the reaper, on a real database."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from music_studio import identity, jobs, queue
from music_studio.db.tables import jobs as jobs_table
from music_studio.services import Services

OWNER = jobs.Owner("org_q", "usr_q")


def _submit(services: Services, n: int = 1) -> list[str]:
    identity.ensure_member(services.db, OWNER.organization_id, OWNER.user_id)
    sub = jobs.Submission(engine="studio", prompt="ambient", duration_seconds=2)
    return [jobs.submit(services.db, OWNER, sub, None)[0]["id"] for _ in range(n)]


def _track(job_id: str) -> dict[str, object]:
    return {
        "id": "mtrack_" + job_id[5:],
        "organization_id": OWNER.organization_id,
        "user_id": OWNER.user_id,
        "job_id": job_id,
        "title": "t",
        "engine": "studio",
        "mode": "creation",
        "instrumental": True,
        "measured_duration_seconds": 2.0,
        "mime_type": "audio/mpeg",
        "licence_class": "commercial_cleared",
        "commercial_use": True,
        "requires_attribution": False,
        "size_bytes": 1,
        "plan": {},
        "segments": None,
    }


def test_claim_takes_oldest_and_only_once(services: Services) -> None:
    first, second = _submit(services, 2)
    claimed = queue.claim(services.db, "w1", 30)
    assert claimed is not None and claimed.id == first and claimed.status == "running" and claimed.attempts == 1
    other = queue.claim(services.db, "w2", 30)
    assert other is not None and other.id == second
    assert queue.claim(services.db, "w3", 30) is None


def test_concurrent_claims_never_share_a_job(services: Services) -> None:
    _submit(services, 20)
    claimed: list[str] = []
    lock = threading.Lock()

    def work(name: str) -> None:
        while (job := queue.claim(services.db, name, 30)) is not None:
            with lock:
                claimed.append(job.id)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(claimed) == len(set(claimed)) == 20


def test_cancel_wins_over_heartbeat_and_success(services: Services) -> None:
    (job_id,) = _submit(services)
    queue.claim(services.db, "w1", 30)
    assert queue.heartbeat(services.db, job_id, "w1", 40, 30)
    jobs.cancel(services.db, OWNER, job_id)
    assert not queue.heartbeat(services.db, job_id, "w1", 50, 30)
    assert not queue.succeed(services.db, job_id, "w1", _track(job_id))
    row = jobs.get(services.db, OWNER, job_id)
    assert row["status"] == "cancelled" and row["result_track_id"] is None and row["progress"] == 40


def test_progress_never_goes_down(services: Services) -> None:
    (job_id,) = _submit(services)
    queue.claim(services.db, "w1", 30)
    queue.heartbeat(services.db, job_id, "w1", 60, 30)
    queue.heartbeat(services.db, job_id, "w1", 20, 30)
    assert jobs.get(services.db, OWNER, job_id)["progress"] == 60


def test_only_the_lease_holder_can_finish(services: Services) -> None:
    (job_id,) = _submit(services)
    queue.claim(services.db, "w1", 30)
    assert not queue.succeed(services.db, job_id, "intruder", _track(job_id))
    assert not queue.fail(services.db, job_id, "intruder")
    assert queue.succeed(services.db, job_id, "w1", _track(job_id))
    assert not queue.fail(services.db, job_id, "w1")  # terminal states never change
    assert jobs.get(services.db, OWNER, job_id)["status"] == "succeeded"


def _expire(services: Services, job_id: str) -> None:
    with services.db.begin() as conn:
        conn.execute(
            jobs_table.update()
            .where(jobs_table.c.id == job_id)
            .values(lease_expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )


def test_reaper_requeues_then_fails_after_max_attempts(services: Services) -> None:
    (job_id,) = _submit(services)
    for attempt in range(1, 4):
        claimed = queue.claim(services.db, f"w{attempt}", 30)
        assert claimed is not None and claimed.attempts == attempt
        _expire(services, job_id)
        requeued, failed = queue.reap(services.db, max_attempts=3)
        assert (requeued, failed) == ((1, 0) if attempt < 3 else (0, 1))
    row = jobs.get(services.db, OWNER, job_id)
    assert row["status"] == "failed" and row["error_message"] == queue.REAPED_MESSAGE
    # The worker that lost its lease cannot resurrect the job.
    assert not queue.succeed(services.db, job_id, "w3", _track(job_id))


def test_live_leases_are_not_reaped(services: Services) -> None:
    _submit(services)
    queue.claim(services.db, "w1", 30)
    assert queue.reap(services.db, max_attempts=3) == (0, 0)
    with services.db.connect() as conn:
        assert conn.execute(sa.select(jobs_table.c.status)).scalar() == "running"
