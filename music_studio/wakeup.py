"""How an idle worker learns of new work: LISTEN/NOTIFY on PostgreSQL, polling on SQLite.

A queued job is announced inside the transaction that makes it claimable (submit, reaper
requeue); PostgreSQL delivers the notification at commit, so a listening worker wakes at once
instead of polling the database.
"""

from __future__ import annotations

import logging
import threading
from typing import Protocol

import psycopg
import sqlalchemy as sa

CHANNEL = "music_studio_jobs"
logger = logging.getLogger("music_studio.wakeup")


def announce(conn: sa.Connection) -> None:
    """Tell listening workers that a job became claimable (delivered when `conn` commits)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


class Waiter(Protocol):
    def wait(self, timeout: float) -> None: ...

    def close(self) -> None: ...


class PollingWaiter:
    """Sleep for the poll interval (or until stopped)."""

    def __init__(self, stop: threading.Event) -> None:
        self._stop = stop

    def wait(self, timeout: float) -> None:
        self._stop.wait(timeout)

    def close(self) -> None:
        pass


class ListeningWaiter:
    """Block on LISTEN until a notification arrives or `timeout` passes."""

    def __init__(self, database_url: str) -> None:
        url = sa.make_url(database_url).set(drivername="postgresql")
        self._conn = psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)
        self._conn.execute(f"LISTEN {CHANNEL}")

    def wait(self, timeout: float) -> None:
        for _ in self._conn.notifies(timeout=timeout, stop_after=1):
            pass

    def close(self) -> None:
        self._conn.close()


def waiter_for(database_url: str, stop: threading.Event) -> Waiter:
    if database_url.startswith("postgresql"):
        try:
            return ListeningWaiter(database_url)
        except psycopg.Error:
            logger.warning("LISTEN unavailable; falling back to polling", exc_info=True)
    return PollingWaiter(stop)
