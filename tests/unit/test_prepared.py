"""PreparedRead gives the same values as SQLAlchemy's own execution, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

from starlette.testclient import TestClient

from music_studio import jobs
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
