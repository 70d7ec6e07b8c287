"""401 for missing, unknown and revoked keys (one body); 403 for non-members."""

from __future__ import annotations

from starlette.testclient import TestClient

from music_studio import identity
from music_studio.services import Services
from tests.conftest import Caller, error_code

ROUTES = [
    ("GET", "/v1/music/org_a/engines"),
    ("GET", "/v1/music/org_a/generations"),
    ("POST", "/v1/music/org_a/generations"),
    ("GET", "/v1/music/org_a/generations/mgen_000000000000000000000000"),
    ("POST", "/v1/music/org_a/generations/mgen_000000000000000000000000/cancel"),
    ("GET", "/v1/music/org_a/tracks/mtrack_000000000000000000000000"),
]


def _bodies(client: TestClient, headers: dict[str, str]) -> list[dict[str, object]]:
    bodies = []
    for method, path in ROUTES:
        json = {"engine": "studio", "prompt": "x", "duration_seconds": 5} if method == "POST" else None
        response = client.request(method, path, headers=headers, json=json)
        assert response.status_code == 401, (method, path, response.text)
        assert error_code(response) == "AUTHENTICATION_REQUIRED"
        error = response.json()["error"]
        bodies.append({k: error[k] for k in ("code", "message", "system_message", "details")})
    return bodies


def test_missing_unknown_malformed_and_revoked_keys_get_one_401_body(
    client: TestClient, services: Services, alice: Caller
) -> None:
    identity.revoke_key(services.db, alice.key)
    variants = [
        {},
        {"X-API-Key": "ak_" + "x" * 40},
        {"X-API-Key": "not-a-key"},
        {"X-API-Key": alice.key},  # revoked
    ]
    seen = [_bodies(client, headers) for headers in variants]
    assert all(bodies == seen[0] for bodies in seen)


def test_non_member_gets_403(client: TestClient, alice: Caller) -> None:
    response = client.get("/v1/music/org_other/generations", headers=alice.headers)
    assert response.status_code == 403
    assert error_code(response) == "ORGANIZATION_ACCESS_DENIED"


def test_engines_list_is_truthful(client: TestClient, alice: Caller) -> None:
    response = client.get(f"/v1/music/{alice.org}/engines", headers=alice.headers)
    assert response.status_code == 200
    (studio,) = response.json()["engines"]
    assert studio["engine_key"] == "studio"
    assert studio["vocals"] is False and studio["lyrics"] is False and studio["stems"] is False
    assert studio["max_duration_seconds"] >= 300
    assert set(studio["modes"]) == {"creation", "focus"}


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok"


def test_unknown_route_and_method_use_the_envelope(client: TestClient, alice: Caller) -> None:
    missing = client.get("/v1/nothing", headers=alice.headers)
    assert missing.status_code == 404 and error_code(missing) == "NOT_FOUND"
    wrong = client.delete(f"/v1/music/{alice.org}/generations", headers=alice.headers)
    assert wrong.status_code == 405 and error_code(wrong) == "METHOD_NOT_ALLOWED"
    assert "allow" in wrong.headers


def test_request_id_is_echoed_and_hygiene_headers_are_set(client: TestClient, alice: Caller) -> None:
    response = client.get(f"/v1/music/{alice.org}/engines", headers={**alice.headers, "X-Request-ID": "req-12345678"})
    assert response.headers["x-request-id"] == "req-12345678"
    assert response.headers["x-content-type-options"] == "nosniff"
    injected = client.get("/healthz", headers={"X-Request-ID": "bad id\tvalue"})
    assert injected.headers["x-request-id"] != "bad id\tvalue"


def test_swagger_ui_and_spec_are_served(client: TestClient) -> None:
    assert client.get("/v1/ui/").status_code == 200
    spec = client.get("/v1/openapi.json")
    assert spec.status_code == 200
    assert "/v1/music/{organization_id}/generations/{job_id}" in spec.json()["paths"]
