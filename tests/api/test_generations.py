"""Create, list, get and cancel jobs through the in-process app (every status of each operation)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from starlette.testclient import TestClient

from music_studio.db.tables import jobs
from music_studio.services import Services
from tests.conftest import Caller, create_job, error_code


def test_create_returns_202_queued_job_with_location(client: TestClient, alice: Caller) -> None:
    response = client.post(
        f"/v1/music/{alice.org}/generations",
        json={"engine": "studio", "prompt": "ambient pads", "duration_seconds": 5, "instrumental": True},
        headers=alice.headers,
    )
    assert response.status_code == 202
    job = response.json()
    assert job["status"] == "queued"
    assert job["progress"] == 0
    assert job["playback_url"] is None and job["track"] is None
    assert response.headers["location"] == f"/v1/music/{alice.org}/generations/{job['id']}"
    assert response.headers["retry-after"] == "2"
    assert response.headers["cache-control"] == "no-store"


def test_job_runs_to_success_with_track_and_signed_url(
    client: TestClient, alice: Caller, render_all: Callable[[], int]
) -> None:
    job = create_job(client, alice, duration_seconds=3, title="Tiny Tune")
    assert render_all() == 1
    response = client.get(f"/v1/music/{alice.org}/generations/{job['id']}", headers=alice.headers)
    assert response.status_code == 200
    done = response.json()
    assert done["status"] == "succeeded" and done["progress"] == 100
    assert "retry-after" not in response.headers
    track = done["track"]
    assert done["result_track_id"] == track["id"]
    assert track["title"] == "Tiny Tune"
    assert track["measured_duration_seconds"] == 3.0
    assert track["mime_type"] == "audio/mpeg"
    assert track["instrumental"] is True
    assert done["playback_url"].startswith(f"http://testserver/v1/music/media/{track['id']}.mp3?exp=")
    media = client.get(done["playback_url"])
    assert media.status_code == 200
    assert media.headers["content-type"] == "audio/mpeg"
    assert media.content[:3] in (b"ID3", b"\xff\xfb"[:3]) or media.content[0] == 0xFF


def test_refused_prompt_is_terminal_with_reason(client: TestClient, alice: Caller) -> None:
    job = create_job(client, alice, prompt="a pop song in the style of Taylor Swift")
    assert job["status"] == "refused"
    assert "Taylor Swift" in job["refusal_reason"]
    assert job["finished_at"] is not None


def test_engine_rules_are_422_naming_the_field(client: TestClient, alice: Caller) -> None:
    url = f"/v1/music/{alice.org}/generations"
    cases: list[tuple[dict[str, Any], str]] = [
        ({"duration_seconds": 301}, "duration_seconds"),
        ({"engine": "nope"}, "engine"),
        ({"lyrics": "la la la"}, "lyrics"),
        ({"lyrics": "la la la", "instrumental": True}, "lyrics"),
        ({"prompt": "   "}, "prompt"),
        ({"seed_track_id": "mtrack_0123456789abcdef01234567"}, "seed_track_id"),
        ({"unknown_field": 1}, ""),
    ]
    for override, field in cases:
        body = {"engine": "studio", "prompt": "jazz", "duration_seconds": 10, **override}
        response = client.post(url, json=body, headers=alice.headers)
        assert response.status_code == 422, (override, response.text)
        assert error_code(response) == "VALIDATION_ERROR"
        if field:
            assert response.json()["error"]["details"]["field"] == field, override


def test_malformed_json_is_400(client: TestClient, alice: Caller) -> None:
    headers = {**alice.headers, "Content-Type": "application/json"}
    for raw in (b"{", b"\xff\xfe{}", b'{"a": NaN}'):
        response = client.post(f"/v1/music/{alice.org}/generations", content=raw, headers=headers)
        assert response.status_code == 400, raw
        assert error_code(response) == "INVALID_REQUEST"


def test_wrong_content_type_is_415(client: TestClient, alice: Caller) -> None:
    response = client.post(
        f"/v1/music/{alice.org}/generations",
        content=b"engine=studio",
        headers={**alice.headers, "Content-Type": "text/plain"},
    )
    assert response.status_code == 415
    assert error_code(response) == "UNSUPPORTED_MEDIA_TYPE"


def test_oversized_body_is_413(client: TestClient, alice: Caller) -> None:
    body = b'{"engine": "studio", "prompt": "' + b"x" * 70_000 + b'", "duration_seconds": 5}'
    response = client.post(
        f"/v1/music/{alice.org}/generations",
        content=body,
        headers={**alice.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert error_code(response) == "PAYLOAD_TOO_LARGE"


def test_idempotency_key_replays_same_job(client: TestClient, alice: Caller) -> None:
    url = f"/v1/music/{alice.org}/generations"
    body = {"engine": "studio", "prompt": "house groove", "duration_seconds": 5}
    first = client.post(url, json=body, headers={**alice.headers, "Idempotency-Key": "abc-1"})
    again = client.post(url, json=body, headers={**alice.headers, "Idempotency-Key": "abc-1"})
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    # The body key is used when the header is absent; the header wins when both are present.
    via_body = client.post(url, json={**body, "idempotency_key": "abc-1"}, headers=alice.headers)
    assert via_body.status_code == 202 and via_body.json()["id"] == first.json()["id"]
    header_wins = client.post(
        url, json={**body, "idempotency_key": "other"}, headers={**alice.headers, "Idempotency-Key": "abc-2"}
    )
    assert header_wins.status_code == 202
    assert header_wins.json()["id"] != first.json()["id"]


def test_idempotency_key_with_different_body_is_422(client: TestClient, alice: Caller) -> None:
    url = f"/v1/music/{alice.org}/generations"
    headers = {**alice.headers, "Idempotency-Key": "same"}
    client.post(url, json={"engine": "studio", "prompt": "one", "duration_seconds": 5}, headers=headers)
    response = client.post(url, json={"engine": "studio", "prompt": "two", "duration_seconds": 5}, headers=headers)
    assert response.status_code == 422
    assert error_code(response) == "IDEMPOTENCY_KEY_REUSED"


def test_concurrent_duplicates_make_one_job(client: TestClient, alice: Caller, services: Services) -> None:
    url = f"/v1/music/{alice.org}/generations"
    body = {"engine": "studio", "prompt": "race", "duration_seconds": 5}
    ids: list[str] = []
    barrier = threading.Barrier(8)

    def post() -> None:
        barrier.wait()
        response = client.post(url, json=body, headers={**alice.headers, "Idempotency-Key": "race-key"})
        assert response.status_code == 202, response.text
        ids.append(response.json()["id"])

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 1 and len(ids) == 8
    with services.db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(jobs)).scalar() == 1


def test_list_is_newest_first_paginated_and_has_no_urls(
    client: TestClient, alice: Caller, render_all: Callable[[], int]
) -> None:
    created = [create_job(client, alice, prompt=f"tune {i}")["id"] for i in range(3)]
    render_all()
    url = f"/v1/music/{alice.org}/generations"
    page = client.get(url, params={"limit": 2}, headers=alice.headers)
    assert page.status_code == 200
    body = page.json()
    assert body["limit"] == 2 and body["offset"] == 0
    assert [j["id"] for j in body["jobs"]] == created[::-1][:2]
    assert all(j["playback_url"] is None and j["track"] is None for j in body["jobs"])
    rest = client.get(url, params={"limit": 2, "offset": 2}, headers=alice.headers).json()
    assert [j["id"] for j in rest["jobs"]] == created[:1]
    succeeded = client.get(url, params={"status": "succeeded"}, headers=alice.headers).json()
    assert len(succeeded["jobs"]) == 3
    assert client.get(url, params={"status": "queued"}, headers=alice.headers).json()["jobs"] == []


def test_list_rejects_out_of_range_parameters(client: TestClient, alice: Caller) -> None:
    url = f"/v1/music/{alice.org}/generations"
    for params in ({"limit": 0}, {"limit": 101}, {"offset": -1}, {"status": "done"}, {"limit": "x"}, {"bogus": 1}):
        response = client.get(url, params=params, headers=alice.headers)
        assert response.status_code == 422, params
        assert error_code(response) == "VALIDATION_ERROR"


def test_cancel_queued_job_and_is_idempotent(client: TestClient, alice: Caller, render_all: Callable[[], int]) -> None:
    job = create_job(client, alice)
    url = f"/v1/music/{alice.org}/generations/{job['id']}/cancel"
    first = client.post(url, headers=alice.headers)
    assert first.status_code == 200 and first.json()["status"] == "cancelled"
    again = client.post(url, headers=alice.headers)
    assert again.status_code == 200 and again.json() == first.json()
    assert render_all() == 0  # nothing left to claim


def test_cancel_terminal_job_returns_it_unchanged(
    client: TestClient, alice: Caller, render_all: Callable[[], int]
) -> None:
    job = create_job(client, alice)
    render_all()
    response = client.post(f"/v1/music/{alice.org}/generations/{job['id']}/cancel", headers=alice.headers)
    assert response.status_code == 200
    assert response.json()["status"] == "succeeded"


def test_get_unknown_job_is_404_and_malformed_id_is_422(client: TestClient, alice: Caller) -> None:
    missing = client.get(f"/v1/music/{alice.org}/generations/mgen_000000000000000000000000", headers=alice.headers)
    assert missing.status_code == 404 and error_code(missing) == "NOT_FOUND"
    malformed = client.get(f"/v1/music/{alice.org}/generations/not-a-job", headers=alice.headers)
    assert malformed.status_code == 422 and error_code(malformed) == "VALIDATION_ERROR"
