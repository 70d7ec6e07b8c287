"""PreparedRead gives the same values as SQLAlchemy's own execution, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import gc
import sqlite3
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from starlette.testclient import TestClient

from music_studio import jobs
from music_studio.db import prepared
from music_studio.db.connection import create_engine
from music_studio.services import Services
from tests.conftest import Caller, create_job


def test_job_view_equals_the_row_mapping(
    client: TestClient, services: Services, alice: Caller, render_all: Callable[[], int]
) -> None:
    owner = jobs.Owner(organization_id=alice.org, user_id=alice.user)
    rendered = create_job(client, alice)["id"]
    assert render_all() == 1
    queued = create_job(client, alice, title="still waiting")["id"]
    for job_id in (rendered, queued):
        view = jobs.get(services.db, owner, job_id)
        params = {"organization_id": owner.organization_id, "user_id": owner.user_id, "job_id": job_id}
        with services.db.connect() as conn:
            row = dict(conn.execute(jobs._GET, params).one()._mapping)
        assert view == row
        assert [type(value) for value in view.values()] == [type(value) for value in row.values()]
    assert jobs.get(services.db, owner, rendered)["track_plan"]  # JSON decoded, not a string


def test_job_view_is_scoped_to_the_owner(client: TestClient, services: Services, alice: Caller) -> None:
    job_id = create_job(client, alice)["id"]
    stranger = jobs.Owner(organization_id=alice.org, user_id="usr_other")
    try:
        jobs.get(services.db, stranger, job_id)
    except jobs.NotFound:
        return
    raise AssertionError("another user's job was returned")


def test_reads_on_an_event_loop_share_one_detached_sqlite_connection(
    client: TestClient, services: Services, alice: Caller
) -> None:
    owner = jobs.Owner(organization_id=alice.org, user_id=alice.user)
    job_id = create_job(client, alice)["id"]
    engine = services.db
    sqlite = engine.dialect.name == "sqlite"

    async def two_reads_around_a_write() -> tuple[Any, Any, Any, Any]:
        first = prepared._held_sqlite_connection(engine)
        before = jobs.get(engine, owner, job_id)["status"]
        jobs.cancel(engine, owner, job_id)  # a write through the pool, committed
        after = jobs.get(engine, owner, job_id)["status"]
        return first, prepared._held_sqlite_connection(engine), before, after

    first, second, before, after = asyncio.run(two_reads_around_a_write())
    assert (before, after) == ("queued", "cancelled")  # no stale snapshot on the long-lived connection
    if sqlite:
        assert first is not None and first is second
    else:
        assert first is None and second is None  # server databases always use the pool
    assert prepared._held_sqlite_connection(engine) is None  # no loop in this thread: the pool
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]  # detached: nothing held against the pool


def test_a_page_equals_the_row_mappings(client: TestClient, services: Services, alice: Caller) -> None:
    owner = jobs.Owner(organization_id=alice.org, user_id=alice.user)
    for n in range(3):
        create_job(client, alice, title=f"job {n}")
    for status, limit, offset in ((None, 2, 0), (None, 50, 1), ("queued", 50, 0), ("succeeded", 10, 0)):
        page = jobs.list_jobs(services.db, owner, status=status, limit=limit, offset=offset)
        params = {"organization_id": owner.organization_id, "user_id": owner.user_id, "limit": limit, "offset": offset}
        if status is not None:
            params["status"] = status
        with services.db.connect() as conn:
            rows = [dict(row._mapping) for row in conn.execute(jobs._PAGES[status is not None]._statement, params)]
        assert page == rows
        assert (
            len(page)
            == {(None, 2, 0): 2, (None, 50, 1): 2, ("queued", 50, 0): 3, ("succeeded", 10, 0): 0}[
                (status, limit, offset)
            ]
        )


def test_a_held_connection_does_not_keep_its_engine_alive(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'held.db'}")

    async def hold(held_by: sa.Engine) -> Any:
        return prepared._held_sqlite_connection(held_by)

    connection = asyncio.run(hold(engine))
    assert isinstance(connection, sqlite3.Connection)  # the driver's, nothing of SQLAlchemy's
    alive = weakref.ref(engine)
    engine.dispose()
    del engine, connection
    gc.collect()
    assert alive() is None
