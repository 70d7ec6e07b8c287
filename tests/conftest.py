"""Shared fixtures: a fresh data directory and database per test, keys, an in-process client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from music_studio import identity
from music_studio.app import create_app
from music_studio.db.migrate import upgrade
from music_studio.services import Services
from music_studio.settings import Settings
from music_studio.worker import Worker
from tests.databases import BACKENDS, fresh_database

SIGNING_KEYS = "k1:test-secret-one-0123456789abcdef"


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Every test that touches the database runs on SQLite and on PostgreSQL."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    env = {
        "MUSIC_STUDIO_DATA_DIR": str(tmp_path / "var"),
        "MUSIC_STUDIO_DATABASE_URL": database_url,
        "MUSIC_STUDIO_SIGNING_KEYS": SIGNING_KEYS,
        "MUSIC_STUDIO_PUBLIC_URL": "http://testserver",
        "MUSIC_STUDIO_POLL_INTERVAL_SECONDS": "0.05",
    }
    settings = Settings.from_env(env)
    upgrade(settings.database_url)
    return settings


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    services = Services.from_settings(settings)
    yield services
    services.db.dispose()


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services=services), raise_server_exceptions=False) as test_client:
        yield test_client


@contextmanager
def client_with(services: Services, **overrides: Any) -> Iterator[TestClient]:
    """An in-process client of an app on the same database and media, with some settings changed."""
    changed = Services(services.settings.with_overrides(**overrides), services.db, services.signer, services.storage)
    with TestClient(create_app(services=changed), raise_server_exceptions=False) as client:
        yield client


@dataclass(frozen=True)
class Caller:
    org: str
    user: str
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.key}


@pytest.fixture
def make_caller(services: Services) -> Callable[[str, str], Caller]:
    def make(org: str, user: str) -> Caller:
        return Caller(org, user, identity.create_key(services.db, org, user))

    return make


@pytest.fixture
def alice(make_caller: Callable[[str, str], Caller]) -> Caller:
    return make_caller("org_a", "usr_a1")


@pytest.fixture
def render_all(settings: Settings) -> Iterator[Callable[[], int]]:
    """Run an in-process worker until the queue is empty; returns how many jobs it processed."""
    worker = Worker(settings, worker_id="test-worker")

    def run() -> int:
        done = 0
        while worker.run_once():
            done += 1
        return done

    yield run
    worker.db.dispose()


def create_job(client: TestClient, caller: Caller, **overrides: Any) -> dict[str, Any]:
    body = {"engine": "studio", "prompt": "calm lo-fi piano, 80 bpm", "duration_seconds": 2, **overrides}
    response = client.post(f"/v1/music/{caller.org}/generations", json=body, headers=caller.headers)
    assert response.status_code == 202, response.text
    job: dict[str, Any] = response.json()
    return job


def error_code(response: Any) -> str:
    body = response.json()
    assert body["success"] is False
    assert body["error"]["status"] == response.status_code
    assert body["error"]["trace_id"] == response.headers["x-request-id"]
    code: str = body["error"]["code"]
    return code
