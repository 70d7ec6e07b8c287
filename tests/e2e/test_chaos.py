"""Chaos on PostgreSQL: 2 API processes, 3 workers, 300 concurrent jobs with duplicate
Idempotency-Keys and cancels mixed in, and `kill -9` of a worker mid-render, twice.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from music_studio.db.tables import jobs, tracks
from tests.databases import fresh_database
from tests.servers import BIN, serve

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

JOBS = 300
DUPLICATES = 60  # submissions that reuse another submission's key and body
CANCELS = 30


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([str(BIN / "music-studio"), "worker"], env=env, stdout=out, stderr=subprocess.STDOUT)


def _kill_a_rendering_worker(db: sa.Engine, workers: list[subprocess.Popen[bytes]], killed: list[int]) -> int | None:
    """kill -9 a live worker process that holds a running job; returns its pid."""
    pids = {w.pid for w in workers if w.poll() is None} - set(killed)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with db.connect() as conn:
            holders = conn.execute(sa.select(jobs.c.claimed_by).where(jobs.c.status == "running")).scalars().all()
        for holder in holders:
            pid = int(holder.split(":")[1]) if holder and holder.count(":") >= 2 else None
            if pid in pids:
                os.kill(pid, signal.SIGKILL)
                return pid
        time.sleep(0.01)
    return None


def test_chaos(tmp_path: Path) -> None:
    rng = random.Random(7)
    with fresh_database("postgresql", tmp_path) as url:
        # One key submits 300 jobs at once: rate limits are another test's subject.
        env_extra = {
            "MUSIC_STUDIO_DATABASE_URL": url,
            "MUSIC_STUDIO_LEASE_SECONDS": "3",
            "MUSIC_STUDIO_RATE_LIMITS": "0",
        }
        data = tmp_path / "var"
        with (
            serve(data, render_workers=0, extra_env=env_extra) as api1,
            serve(data, render_workers=0, extra_env=env_extra) as api2,
            httpx.Client(timeout=60) as http,
        ):
            key = api1.cli("keys", "create", "--org", "org_chaos", "--user", "usr_chaos")
            headers = {"X-API-Key": key}
            worker_log = tmp_path / "workers.log"
            workers = [_start_worker(api1.env, worker_log) for _ in range(3)]
            db = sa.create_engine(url)
            try:
                # Submissions: 240 distinct keys, 60 duplicates of some of them, shuffled.
                bodies = [
                    (
                        f"key-{i}",
                        {"engine": "studio", "prompt": f"chaos tune {i}", "duration_seconds": rng.choice([1, 2, 3])},
                    )
                    for i in range(JOBS - DUPLICATES)
                ]
                submissions = bodies + [rng.choice(bodies) for _ in range(DUPLICATES)]
                rng.shuffle(submissions)
                cancel_keys = {k for k, _ in rng.sample(bodies, CANCELS)}
                seen: dict[str, set[str]] = {}
                cancelled_ids: set[str] = set()

                def submit(index_item: tuple[int, tuple[str, dict[str, Any]]]) -> None:
                    index, (idem, body) = index_item
                    base = (api1 if index % 2 else api2).base_url
                    response = http.post(
                        f"{base}/v1/music/org_chaos/generations",
                        json=body,
                        headers={**headers, "Idempotency-Key": idem},
                    )
                    assert response.status_code == 202, response.text
                    job_id = response.json()["id"]
                    seen.setdefault(idem, set()).add(job_id)
                    if idem in cancel_keys:
                        cancel = http.post(f"{base}/v1/music/org_chaos/generations/{job_id}/cancel", headers=headers)
                        assert cancel.status_code == 200
                        cancelled_ids.add(job_id)

                with ThreadPoolExecutor(max_workers=16) as pool:
                    futures = [pool.submit(submit, item) for item in enumerate(submissions)]
                    killed: list[int] = []
                    for _ in range(2):
                        pid = _kill_a_rendering_worker(db, workers, killed)
                        assert pid is not None, "no worker was rendering"
                        killed.append(pid)
                        workers.append(_start_worker(api1.env, worker_log))
                    for future in futures:
                        future.result()

                deadline = time.monotonic() + 240
                while True:
                    with db.connect() as conn:
                        active = conn.execute(
                            sa.select(sa.func.count()).where(jobs.c.status.in_(["queued", "running"]))
                        ).scalar()
                    if active == 0:
                        break
                    assert time.monotonic() < deadline, f"{active} jobs still active"
                    time.sleep(0.5)

                with db.connect() as conn:
                    rows = conn.execute(sa.select(jobs.c.id, jobs.c.status, jobs.c.idempotency_key)).all()
                    track_rows = conn.execute(sa.select(tracks.c.id, tracks.c.job_id)).all()
            finally:
                for worker in workers:
                    if worker.poll() is None:
                        worker.send_signal(signal.SIGTERM)
                for worker in workers:
                    worker.wait(timeout=60)
                db.dispose()

    statuses = Counter(row.status for row in rows)
    print(f"\nchaos: {len(rows)} jobs {dict(statuses)}, {len(track_rows)} tracks, killed pids {killed}")
    assert len(set(killed)) == 2
    # Every duplicate key maps to exactly one job, in the responses and in the database.
    assert all(len(ids) == 1 for ids in seen.values())
    assert len(rows) == len(seen) == JOBS - DUPLICATES
    assert Counter(row.idempotency_key for row in rows).most_common(1)[0][1] == 1
    # Every job reached a terminal state; kills cost attempts, never jobs.
    assert set(statuses) <= {"succeeded", "cancelled"}, statuses
    # Cancelled jobs have no track and no master.
    cancelled = {row.id for row in rows if row.status == "cancelled"}
    assert cancelled_ids <= cancelled | {row.id for row in rows if row.status == "succeeded"}
    track_jobs = Counter(track.job_id for track in track_rows)
    assert not cancelled & set(track_jobs)
    # Succeeded jobs = tracks = masters on disk, and no job was rendered to success twice.
    succeeded = {row.id for row in rows if row.status == "succeeded"}
    assert set(track_jobs) == succeeded and max(track_jobs.values()) == 1
    masters = {path.stem for path in (data / "media").rglob("mtrack_*.mp3")}
    assert masters == {track.id for track in track_rows}
    log = worker_log.read_text()
    successes = Counter(line.split("job ")[1].split(" ")[0] for line in log.splitlines() if "succeeded:" in line)
    assert set(successes) == succeeded and max(successes.values()) == 1
