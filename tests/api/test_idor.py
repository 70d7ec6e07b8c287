"""The IDOR matrix: every route × every kind of caller, with exact statuses and no leaks.

Organisations A and B; users a1 and a2 in A, b1 in B, and ab in both. a1 owns a succeeded job
(with a track) and a queued one. A route in openapi.yaml without rows here fails the test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.testclient import TestClient

from music_studio import identity
from music_studio.services import Services
from tests.conftest import Caller, create_job, error_code

SPEC = Path(__file__).resolve().parents[2] / "openapi.yaml"
MISSING_JOB = "mgen_000000000000000000000000"
MISSING_TRACK = "mtrack_000000000000000000000000"

# Operations not scoped to a tenant, and why they are not in the matrix.
UNSCOPED = {
    "GET /healthz": "public liveness probe, no tenant data",
    "GET /readyz": "public readiness probe, no tenant data",
    "GET /v1/music/media/{track_id}.mp3": "authorised by signature, covered in test_media.py",
    "HEAD /v1/music/media/{track_id}.mp3": "authorised by signature, covered in test_media.py",
}


@dataclass
class World:
    callers: dict[str, Caller]
    job: dict[str, Any]
    queued_job: dict[str, Any]
    revoked: Caller
    others: dict[tuple[str, str], list[str]]
    """(user, org) → ids and prompts of the jobs b1 and ab own."""

    @property
    def secrets(self) -> list[str]:
        """Strings that only a1 may ever see."""
        track = self.job["track"]
        return [self.job["id"], self.queued_job["id"], track["id"], "secret prompt of a1", track["playback_url"]]

    def forbidden_for(self, who: str, org: str) -> list[str]:
        """Everything the caller must not see when calling under `org`: every other owner's ids,
        prompts and URLs (a1's too, unless the caller is a1 in org_a)."""
        user = self.callers[who].user if who in self.callers else None
        owned = {("usr_a1", "org_a"): self.secrets, **self.others}
        return [secret for owner, secrets in owned.items() if owner != (user, org) for secret in secrets]


@pytest.fixture
def world(
    client: TestClient, services: Services, make_caller: Callable[[str, str], Caller], render_all: Callable[[], int]
) -> World:
    callers = {
        "a1": make_caller("org_a", "usr_a1"),
        "a2": make_caller("org_a", "usr_a2"),
        "b1": make_caller("org_b", "usr_b1"),
        "ab_in_a": make_caller("org_a", "usr_ab"),
    }
    identity.ensure_member(services.db, "org_b", "usr_ab")
    callers["ab_in_b"] = Caller("org_b", "usr_ab", callers["ab_in_a"].key)
    # b1 and ab also own jobs of their own, so "not found" is not merely "empty table".
    b1_job = create_job(client, callers["b1"], prompt="b1 tune")
    ab_job = create_job(client, callers["ab_in_a"], prompt="ab tune")
    job = create_job(client, callers["a1"], prompt="secret prompt of a1")
    render_all()
    job = client.get(f"/v1/music/org_a/generations/{job['id']}", headers=callers["a1"].headers).json()
    queued = create_job(client, callers["a1"], prompt="secret prompt of a1")
    revoked = make_caller("org_a", "usr_a1")
    identity.revoke_key(services.db, revoked.key)
    others = {("usr_b1", "org_b"): [b1_job["id"], "b1 tune"], ("usr_ab", "org_a"): [ab_job["id"], "ab tune"]}
    return World(callers, job, queued, revoked, others)


# (caller, org in the path, which object id) → expected status for object routes.
OBJECT_CELLS = [
    ("a1", "org_a", "own", 200),
    ("a2", "org_a", "own", 404),
    ("ab_in_a", "org_a", "own", 404),
    ("ab_in_b", "org_b", "own", 404),
    ("b1", "org_b", "own", 404),
    ("b1", "org_a", "own", 403),
    ("a1", "org_a", "missing", 404),
    ("a1", "org_a", "malformed", 422),
    ("a1", "org_a", "traversal", 404),
    ("a1", "org_b", "own", 403),
    ("a2", "org_b", "own", 403),
    ("revoked", "org_a", "own", 401),
    ("nokey", "org_a", "own", 401),
    ("badkey", "org_a", "own", 401),
]
COLLECTION_CELLS = [
    ("a1", "org_a", 200),
    ("a2", "org_a", 200),
    ("ab_in_a", "org_a", 200),
    ("ab_in_b", "org_b", 200),
    ("b1", "org_b", 200),
    ("b1", "org_a", 403),
    ("a1", "org_b", 403),
    ("a1", "org_malformed-!", 422),
    ("a2", "org_b", 403),
    ("revoked", "org_a", 401),
    ("nokey", "org_a", 401),
    ("badkey", "org_a", 401),
]
CODES = {401: "AUTHENTICATION_REQUIRED", 403: "ORGANIZATION_ACCESS_DENIED", 404: "NOT_FOUND", 422: "VALIDATION_ERROR"}


def _object_id(world: World, route: str, which: str) -> str:
    if which == "missing":
        return MISSING_TRACK if "tracks" in route else MISSING_JOB
    if which == "malformed":
        return "mgen_NOT-HEX'--" if "tracks" not in route else "mtrack_%00"
    if which == "traversal":
        return "..%2F..%2Fetc%2Fpasswd"
    if "tracks" in route:
        return str(world.job["result_track_id"])
    return str(world.queued_job["id"] if route.endswith("/cancel") else world.job["id"])


OBJECT_ROUTES = {
    "GET /v1/music/{organization_id}/generations/{job_id}": ("GET", "/v1/music/{org}/generations/{id}"),
    "POST /v1/music/{organization_id}/generations/{job_id}/cancel": ("POST", "/v1/music/{org}/generations/{id}/cancel"),
    "GET /v1/music/{organization_id}/tracks/{track_id}": ("GET", "/v1/music/{org}/tracks/{id}"),
}
COLLECTION_ROUTES = {
    "GET /v1/music/{organization_id}/engines": ("GET", "/v1/music/{org}/engines", None),
    "GET /v1/music/{organization_id}/generations": ("GET", "/v1/music/{org}/generations", None),
    "POST /v1/music/{organization_id}/generations": (
        "POST",
        "/v1/music/{org}/generations",
        {"engine": "studio", "prompt": "matrix", "duration_seconds": 5},
    ),
}


def _headers(world: World, who: str) -> dict[str, str]:
    if who == "nokey":
        return {}
    if who == "revoked":
        return world.revoked.headers
    if who == "badkey":
        return {"X-API-Key": "ak_" + "0" * 40}
    return world.callers[who].headers


def test_every_operation_has_matrix_rows() -> None:
    spec = yaml.safe_load(SPEC.read_text())
    operations = {
        f"{method.upper()} {path}"
        for path, item in spec["paths"].items()
        for method in item
        if method in {"get", "put", "post", "patch", "delete", "head"}
    }
    covered = set(OBJECT_ROUTES) | set(COLLECTION_ROUTES) | set(UNSCOPED)
    assert operations == covered, f"add IDOR rows for {operations - covered}"


def test_object_routes(client: TestClient, world: World) -> None:
    cells = 0
    for name, (method, template) in OBJECT_ROUTES.items():
        for who, org, which, expected in OBJECT_CELLS:
            path = template.format(org=org, id=_object_id(world, name, which))
            response = client.request(method, path, headers=_headers(world, who))
            assert response.status_code == expected, (name, who, org, which, response.text)
            forbidden = world.forbidden_for(who, org)
            if expected != 200:
                assert error_code(response) == CODES[expected], (name, who, org, which)
                forbidden += world.secrets
            assert not [s for s in forbidden if s in response.text], (name, who, org, which)
            cells += 1
    assert cells == len(OBJECT_ROUTES) * len(OBJECT_CELLS) == 42
    # Nobody but a1 could cancel a1's queued job.
    after = client.get(f"/v1/music/org_a/generations/{world.queued_job['id']}", headers=world.callers["a1"].headers)
    assert after.json()["status"] == "cancelled"  # a1's own cancel cell ran


def test_peers_cannot_cancel(client: TestClient, world: World) -> None:
    job_id = world.queued_job["id"]
    for who, org in (("a2", "org_a"), ("b1", "org_b"), ("b1", "org_a"), ("ab_in_a", "org_a")):
        client.post(f"/v1/music/{org}/generations/{job_id}/cancel", headers=world.callers[who].headers)
    status = client.get(f"/v1/music/org_a/generations/{job_id}", headers=world.callers["a1"].headers).json()["status"]
    assert status == "queued"


def test_collection_routes(client: TestClient, world: World) -> None:
    cells = 0
    for name, (method, template, body) in COLLECTION_ROUTES.items():
        for who, org, expected in COLLECTION_CELLS:
            response = client.request(method, template.format(org=org), headers=_headers(world, who), json=body)
            want = 202 if expected == 200 and method == "POST" else expected
            assert response.status_code == want, (name, who, org, response.text)
            if expected != 200:
                assert error_code(response) == CODES[expected], (name, who, org)
            assert not [s for s in world.forbidden_for(who, org) if s in response.text], (name, who, org)
            cells += 1
    assert cells == len(COLLECTION_ROUTES) * len(COLLECTION_CELLS) == 36


def test_someone_elses_object_and_a_missing_one_get_the_same_404(client: TestClient, world: World) -> None:
    """Nothing tells "exists but not yours" from "does not exist" (apart from the trace id)."""

    def body(path: str, who: str) -> dict[str, Any]:
        response = client.get(path, headers=world.callers[who].headers)
        assert response.status_code == 404
        error: dict[str, Any] = response.json()["error"]
        return {k: v for k, v in error.items() if k not in ("trace_id", "timestamp")}

    for template, own in (
        ("/v1/music/org_a/generations/{}", world.job["id"]),
        ("/v1/music/org_a/tracks/{}", world.job["result_track_id"]),
    ):
        missing = MISSING_TRACK if "tracks" in template else MISSING_JOB
        assert body(template.format(own), "a2") == body(template.format(missing), "a2")
