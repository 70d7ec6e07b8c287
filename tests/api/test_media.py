"""Signed media URLs: tampering, expiry, key rotation, HEAD, byte ranges, CORS."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from starlette.testclient import TestClient

from music_studio.app import create_app
from music_studio.services import Services
from music_studio.signing import Signer, parse_keys
from tests.conftest import Caller, create_job, error_code


@pytest.fixture
def track_url(client: TestClient, alice: Caller, render_all: Callable[[], int]) -> str:
    job = create_job(client, alice, duration_seconds=2)
    render_all()
    url: str = client.get(f"/v1/music/{alice.org}/generations/{job['id']}", headers=alice.headers).json()[
        "playback_url"
    ]
    return url


def _with(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return f"{parts.path}?{urlencode(query)}"


def test_full_download_head_and_cors(client: TestClient, track_url: str) -> None:
    full = client.get(track_url, headers={"Origin": "https://player.example"})
    assert full.status_code == 200
    assert full.headers["accept-ranges"] == "bytes"
    assert full.headers["access-control-allow-origin"] == "*"
    assert int(full.headers["content-length"]) == len(full.content) > 10_000
    head = client.head(track_url)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == full.headers["content-length"]
    preflight = client.options(track_url, headers={"Origin": "https://x", "Access-Control-Request-Method": "GET"})
    assert preflight.status_code == 204
    assert "GET" in preflight.headers["access-control-allow-methods"]


def test_byte_ranges(client: TestClient, track_url: str) -> None:
    full = client.get(track_url).content
    size = len(full)
    first = client.get(track_url, headers={"Range": "bytes=0-99"})
    assert first.status_code == 206
    assert first.content == full[:100]
    assert first.headers["content-range"] == f"bytes 0-99/{size}"
    tail = client.get(track_url, headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == full[-10:]
    open_ended = client.get(track_url, headers={"Range": f"bytes={size - 5}-"})
    assert open_ended.content == full[-5:]
    beyond = client.get(track_url, headers={"Range": f"bytes={size}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{size}"
    assert error_code(beyond) == "RANGE_NOT_SATISFIABLE"
    multi = client.get(track_url, headers={"Range": "bytes=0-1,5-6"})
    assert multi.status_code == 200 and multi.content == full  # multiple ranges: whole body


def test_tampered_urls_are_403(client: TestClient, track_url: str) -> None:
    query = parse_qs(urlsplit(track_url).query)
    sig, exp = query["sig"][0], int(query["exp"][0])
    flipped = ("A" if sig[0] != "A" else "B") + sig[1:]
    other_track = urlsplit(track_url).path.replace(urlsplit(track_url).path[-8:-4], "0000")
    cases = [
        _with(track_url, sig=flipped),
        _with(track_url, exp=str(exp + 60)),
        _with(track_url, kid="k2"),
        f"{other_track}?{urlsplit(track_url).query}",
    ]
    for url in cases:
        response = client.get(url)
        assert response.status_code == 403, url
        assert error_code(response) == "SIGNATURE_INVALID"
        assert sig not in response.text


def test_expired_url_is_403(services: Services, client: TestClient, track_url: str) -> None:
    track_id = urlsplit(track_url).path.rsplit("/", 1)[1].removesuffix(".mp3")
    old = services.signer.mint(track_id, now=time.time() - 10_000)
    response = client.get(old.url.replace("http://testserver", ""))
    assert response.status_code == 403
    assert error_code(response) == "SIGNATURE_EXPIRED"


def test_missing_signature_parameters_are_422(client: TestClient, track_url: str) -> None:
    response = client.get(urlsplit(track_url).path)
    assert response.status_code == 422
    assert error_code(response) == "VALIDATION_ERROR"


def test_rotated_key_keeps_old_urls_until_removed(services: Services, track_url: str) -> None:
    path = track_url.replace("http://testserver", "")
    old_secret = "k1:test-secret-one-0123456789abcdef"
    rotated = Signer(parse_keys(f"k2:new-secret-0123456789abcdef,{old_secret}"), ttl_seconds=900, base_url="http://t")
    with TestClient(create_app(services=Services(services.settings, services.db, rotated, services.storage))) as c:
        assert c.get(path).status_code == 200
        fresh = rotated.mint(path.split("/")[-1].split(".")[0])
        assert "kid=k2" in fresh.url
    removed = Signer(parse_keys("k2:new-secret-0123456789abcdef"), ttl_seconds=900, base_url="http://t")
    with TestClient(create_app(services=Services(services.settings, services.db, removed, services.storage))) as c:
        response = c.get(path)
        assert response.status_code == 403 and error_code(response) == "SIGNATURE_INVALID"


def test_track_route_mints_fresh_url(client: TestClient, alice: Caller, track_url: str) -> None:
    track_id = urlsplit(track_url).path.rsplit("/", 1)[1].removesuffix(".mp3")
    response = client.get(f"/v1/music/{alice.org}/tracks/{track_id}", headers=alice.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == track_id
    assert client.get(body["playback_url"]).status_code == 200
    assert response.headers["cache-control"] == "no-store"
