"""Response hygiene: request ids on every kind of error, nosniff, no-store, and a public contract
that names no internals while Swagger UI keeps working."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate
from starlette.testclient import TestClient

from music_studio import jobs
from music_studio.services import Services
from tests.conftest import Caller, client_with, create_job, error_code

REQUEST_ID = "req-0123456789abcdef"


@pytest.fixture
def tight(services: Services) -> Iterator[TestClient]:
    """A client whose creates bucket holds one token, to meet a 429."""
    with client_with(services, rate_limit_creates_burst=1, rate_limit_creates_per_minute=1) as client:
        yield client


def _error_kinds(
    client: TestClient, tight: TestClient, alice: Caller, media_url: str
) -> dict[str, tuple[int, Callable[[dict[str, str]], Any]]]:
    create = "/v1/music/org_a/generations"
    body = {"engine": "studio", "prompt": "x", "duration_seconds": 1}
    key = alice.headers
    json_type = {"Content-Type": "application/json"}
    tight.post(create, json=body, headers=key)  # takes the one token
    return {
        "400 INVALID_REQUEST": (400, lambda h: client.post(create, content=b"{", headers={**key, **json_type, **h})),
        "401 AUTHENTICATION_REQUIRED": (401, lambda h: client.get(create, headers=h)),
        "403 ORGANIZATION_ACCESS_DENIED": (
            403,
            lambda h: client.get("/v1/music/org_zz/generations", headers={**key, **h}),
        ),
        # Change the signature's last character (it is "A" for 1 signature in 16: then pick "B").
        "403 SIGNATURE_INVALID": (
            403,
            lambda h: client.get(media_url[:-1] + ("B" if media_url.endswith("A") else "A"), headers=h),
        ),
        "404 NOT_FOUND": (404, lambda h: client.get(create + "/mgen_000000000000", headers={**key, **h})),
        "404 no route": (404, lambda h: client.get("/nowhere", headers=h)),
        "405 METHOD_NOT_ALLOWED": (405, lambda h: client.delete(create, headers={**key, **h})),
        "413 PAYLOAD_TOO_LARGE": (
            413,
            lambda h: client.post(create, content=b"x" * 70_000, headers={**key, **json_type, **h}),
        ),
        "415 UNSUPPORTED_MEDIA_TYPE": (
            415,
            lambda h: client.post(create, content=b"x", headers={**key, "Content-Type": "text/plain", **h}),
        ),
        "416 RANGE_NOT_SATISFIABLE": (416, lambda h: client.get(media_url, headers={"Range": "bytes=99999999-", **h})),
        "422 VALIDATION_ERROR": (422, lambda h: client.get(create + "?limit=0", headers={**key, **h})),
        "422 IDEMPOTENCY_KEY_REUSED": (
            422,
            lambda h: client.post(create, json={**body, "prompt": "y"}, headers={**key, "Idempotency-Key": "k1", **h}),
        ),
        "429 RATE_LIMITED": (429, lambda h: tight.post(create, json=body, headers={**key, **h})),
    }


def test_every_error_kind_echoes_or_makes_the_request_id(
    client: TestClient,
    tight: TestClient,
    alice: Caller,
    render_all: Callable[[], int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    job = create_job(client, alice, prompt="x", duration_seconds=1, idempotency_key="k1")
    render_all()
    media_url = client.get(f"/v1/music/org_a/generations/{job['id']}", headers=alice.headers).json()["playback_url"]
    kinds = _error_kinds(client, tight, alice, media_url)

    def boom(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("/secret/path/in/a/stack/trace.py")

    for name, (status, send) in kinds.items():
        for headers, echoed in (({"X-Request-ID": REQUEST_ID}, True), ({}, False)):
            response = send(headers)
            assert response.status_code == status, (name, response.text)
            code = error_code(response)  # envelope: trace_id == X-Request-ID
            assert name.endswith(code) or name == "404 no route", (name, code)
            assert (response.headers["x-request-id"] == REQUEST_ID) is echoed, name
            assert response.headers["x-content-type-options"] == "nosniff", name
            assert response.headers["cache-control"] == "no-store", name

    monkeypatch.setattr(jobs, "list_jobs", boom)
    response = client.get("/v1/music/org_a/generations", headers={**alice.headers, "X-Request-ID": REQUEST_ID})
    assert response.status_code == 500
    assert error_code(response) == "INTERNAL_ERROR"
    assert response.headers["x-request-id"] == REQUEST_ID
    assert "secret" not in response.text and "Traceback" not in response.text


def test_signed_urls_are_never_cached(client: TestClient, alice: Caller, render_all: Callable[[], int]) -> None:
    job = create_job(client, alice)
    render_all()
    for path in (f"/v1/music/org_a/generations/{job['id']}", "/v1/music/org_a/generations"):
        assert client.get(path, headers=alice.headers).headers["cache-control"] == "no-store"
    done = client.get(f"/v1/music/org_a/generations/{job['id']}", headers=alice.headers).json()
    track = client.get(f"/v1/music/org_a/tracks/{done['result_track_id']}", headers=alice.headers)
    assert track.json()["playback_url"] and track.headers["cache-control"] == "no-store"


def _walk(node: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def test_public_contract_names_no_internals(client: TestClient) -> None:
    served = client.get("/v1/openapi.json")
    assert served.status_code == 200 and served.headers["content-type"] == "application/json"
    spec = served.json()
    assert "handlers" not in served.text and "music_studio" not in served.text
    assert not [key for key, _ in _walk(spec) if isinstance(key, str) and key.startswith("x-")]
    operation_ids = {
        op["operationId"] for item in spec["paths"].values() for op in item.values() if "operationId" in op
    }
    assert "get_generation" in operation_ids and all("." not in op for op in operation_ids)
    links = [value["operationId"] for key, value in _walk(spec) if key == "links" for value in value.values()]
    assert links and set(links) <= operation_ids
    validate(json.loads(served.text))  # still a valid OpenAPI document
    as_yaml = client.get("/v1/openapi.yaml")
    assert as_yaml.status_code == 200 and yaml.safe_load(as_yaml.text) == spec
    assert client.head("/v1/openapi.json").status_code == 200


def test_swagger_ui_loads_the_public_contract(client: TestClient) -> None:
    ui = client.get("/v1/ui/")
    assert ui.status_code == 200
    assert "/v1/openapi.json" in ui.text
