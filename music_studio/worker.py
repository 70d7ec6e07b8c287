"""Render worker: claim a job, render it with its engine, store the master, finish the job.

Progress writes double as heartbeats (they extend the lease) and are throttled; a heartbeat
that finds the job no longer ours (cancelled, or reaped after a lost lease) stops the render.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Any

import soundfile
import sqlalchemy as sa

from music_studio import ids, queue, tracks, wakeup
from music_studio.db.connection import create_engine
from music_studio.engines import get_engine, registry
from music_studio.engines.base import RenderCancelled, RenderRequest
from music_studio.jobs import Owner
from music_studio.settings import Settings
from music_studio.storage import LocalStorage

logger = logging.getLogger("music_studio.worker")

HEARTBEAT_INTERVAL = 0.25
REAP_INTERVAL = 5.0


class Lost(Exception):
    """The job stopped being ours while rendering (cancelled, or the lease was reaped)."""


class JobRun:
    """Progress and cancellation for one claimed job, backed by throttled conditional UPDATEs."""

    def __init__(self, db: sa.Engine, job_id: str, worker_id: str, lease_seconds: int) -> None:
        self.db, self.job_id, self.worker_id, self.lease_seconds = db, job_id, worker_id, lease_seconds
        self.percent = 0
        self.lost = False
        self._last_beat = 0.0

    def beat(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if self.lost or (not force and now - self._last_beat < HEARTBEAT_INTERVAL):
            return
        self._last_beat = now
        if not queue.heartbeat(self.db, self.job_id, self.worker_id, self.percent, self.lease_seconds):
            self.lost = True

    def progress(self, fraction: float) -> None:
        # 100 is written only together with the track, so a poller never sees 100 without a URL.
        self.percent = max(self.percent, min(99, int(fraction * 100)))
        self.beat()

    def cancelled(self) -> bool:
        self.beat()
        return self.lost


class Worker:
    def __init__(self, settings: Settings, worker_id: str | None = None) -> None:
        self.settings = settings
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{ids.new_id('w')[2:10]}"
        self.db = create_engine(settings.database_url)
        self.storage = LocalStorage(settings.media_dir)
        self._last_reap = 0.0

    def run(self, stop: threading.Event) -> None:
        registry()  # import the engines (numpy, scipy) now, not on the first job's clock
        waiter = wakeup.waiter_for(self.settings.database_url, stop)
        # With LISTEN the poll is only a safety net (e.g. a lost notification); the reaper
        # still runs every REAP_INTERVAL because each wait ends by then at the latest.
        idle_wait = (
            self.settings.poll_interval_seconds
            if isinstance(waiter, wakeup.PollingWaiter)
            else max(self.settings.poll_interval_seconds, 2.0)
        )
        logger.info("worker %s started (%s)", self.worker_id, type(waiter).__name__)
        try:
            while not stop.is_set():
                try:
                    worked = self.run_once()
                except sa.exc.OperationalError:
                    logger.warning("database unavailable; retrying", exc_info=True)
                    worked = False
                if not worked:
                    waiter.wait(idle_wait)
        finally:
            waiter.close()
        logger.info("worker %s stopped", self.worker_id)

    def run_once(self) -> bool:
        """Reap if due, then claim and process at most one job; True if a job was processed."""
        if time.monotonic() - self._last_reap > REAP_INTERVAL:
            self._last_reap = time.monotonic()
            requeued, failed = queue.reap(self.db, self.settings.max_attempts)
            if requeued or failed:
                logger.warning("reaper: %d job(s) requeued, %d failed after lost leases", requeued, failed)
        job = queue.claim(self.db, self.worker_id, self.settings.lease_seconds)
        if job is None:
            return False
        self.process(job)
        return True

    def process(self, job: Any) -> None:
        run = JobRun(self.db, job.id, self.worker_id, self.settings.lease_seconds)
        engine = get_engine(job.engine)
        if engine is None:
            queue.fail(self.db, job.id, self.worker_id, f"Engine {job.engine!r} is no longer available.")
            return
        started = time.monotonic()
        try:
            result = engine.render(self._request(job), run.progress, run.cancelled)
        except RenderCancelled:
            logger.info("job %s stopped: no longer ours (cancelled or reaped)", job.id)
            return
        except Exception:
            logger.exception("job %s failed while rendering", job.id)
            queue.fail(self.db, job.id, self.worker_id)
            return
        track_id = ids.track_id()
        try:
            path = self.storage.put(track_id, result.audio)
            info = soundfile.info(str(path))
        except Exception:
            logger.exception("job %s: could not store the master", job.id)
            self.storage.delete(track_id)
            queue.fail(self.db, job.id, self.worker_id)
            return
        track = {
            "id": track_id,
            "organization_id": job.organization_id,
            "user_id": job.user_id,
            "job_id": job.id,
            "title": result.title[:200],
            "engine": engine.key,
            "mode": job.mode,
            "instrumental": not engine.capabilities.vocals or job.instrumental,
            "measured_duration_seconds": info.frames / info.samplerate,
            "mime_type": result.mime_type,
            "licence_class": engine.licence.licence_class,
            "commercial_use": engine.licence.commercial_use,
            "requires_attribution": engine.licence.requires_attribution,
            "size_bytes": len(result.audio),
            "plan": result.plan,
            "segments": result.segments,
        }
        if not queue.succeed(self.db, job.id, self.worker_id, track):
            # Cancelled (or reaped) between the last heartbeat and now: keep no master.
            self.storage.delete(track_id)
            logger.info("job %s finished rendering but is no longer ours; master discarded", job.id)
            return
        logger.info("job %s succeeded: %ss rendered in %.2fs", job.id, job.duration_seconds, time.monotonic() - started)

    def _request(self, job: Any) -> RenderRequest:
        prompt = job.prompt
        style_tags = tuple(job.style_tags or ())
        if job.seed_track_id:
            # Continue from one of the caller's own tracks: its tempo, key and style.
            seed = tracks.get(self.db, Owner(job.organization_id, job.user_id), job.seed_track_id)
            plan = seed.plan or {}
            hints = [f"{plan['bpm']} bpm" if plan.get("bpm") else "", _key_hint(plan)]
            prompt = ", ".join(part for part in [prompt, *hints] if part)
            style_tags = (*style_tags, str(plan["style"])) if plan.get("style") else style_tags
        return RenderRequest(
            prompt=prompt,
            duration_seconds=job.duration_seconds,
            mode=job.mode,
            seed=job.seed,
            style_tags=style_tags,
            instrumental=True,
            title=job.title,
        )


def _key_hint(plan: dict[str, Any]) -> str:
    if plan.get("key") and plan.get("mode") in ("major", "minor"):
        return f"in {plan['key']} {plan['mode']}"
    return ""


def run_worker(settings: Settings, stop: threading.Event | None = None) -> None:
    """Entry point of a worker process; SIGTERM/SIGINT finish the current job, then exit."""
    import signal

    from music_studio.logs import configure_logging

    configure_logging()
    stop = stop or threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    Worker(settings).run(stop)
