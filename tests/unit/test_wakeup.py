"""Idle workers wake for new work: by LISTEN/NOTIFY on PostgreSQL, by polling on SQLite."""

from __future__ import annotations

import threading
from collections.abc import Callable

from music_studio import jobs, queue, wakeup
from music_studio.services import Services
from music_studio.settings import Settings
from music_studio.worker import Worker
from tests.conftest import Caller


def test_worker_picks_up_a_job_submitted_while_it_waits(
    settings: Settings, services: Services, alice: Caller, make_caller: Callable[[str, str], Caller]
) -> None:
    # On PostgreSQL the poll is an hour: only the notification can wake the worker in time.
    is_postgres = settings.database_url.startswith("postgresql")
    worker_settings = settings.with_overrides(poll_interval_seconds=3600.0 if is_postgres else 0.05)
    stop = threading.Event()
    worker = Worker(worker_settings, worker_id="waiting-worker")
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    try:
        owner = jobs.Owner(alice.org, alice.user)
        row, _ = jobs.submit(services.db, owner, jobs.Submission("studio", "bells", 1), None)
        done = threading.Event()

        def poll() -> None:
            while queue.status_of(services.db, row["id"]) != "succeeded":
                if done.wait(0.05):
                    return
            done.set()

        poller = threading.Thread(target=poll)
        poller.start()
        # A generous bound only to keep a broken build from hanging; the benchmark measures latency.
        finished = done.wait(60)
        done.set()
        poller.join()
        assert finished and queue.status_of(services.db, row["id"]) == "succeeded"
    finally:
        stop.set()
        if is_postgres:
            # Wake the listener so the thread sees the stop flag at once.
            with services.db.begin() as conn:
                wakeup.announce(conn)
        thread.join(timeout=30)
        worker.db.dispose()
    assert not thread.is_alive()
