"""Signed media URLs: tampering, expiry, key rotation, HEAD, byte ranges, CORS."""

from __future__ import annotations

import logging
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


def _track_id(url: str) -> str:
    return urlsplit(url).path.rsplit("/", 1)[1].removesuffix(".mp3")


def test_every_part_of_the_url_is_signed(
    client: TestClient, alice: Caller, render_all: Callable[[], int], track_url: str
) -> None:
    """Change the path, the track id, exp, kid or sig, or use one track's URL for another: 403."""
    other_job = create_job(client, alice, prompt="a second track")
    render_all()
    other = client.get(f"/v1/music/{alice.org}/generations/{other_job['id']}", headers=alice.headers).json()
    other_track = other["result_track_id"]
    parts = urlsplit(track_url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    sig = query["sig"]
    track_id = _track_id(track_url)
    tampered = {
        "path: other track id": f"/v1/music/media/{other_track}.mp3?{parts.query}",
        "path: one hex digit": f"/v1/music/media/{track_id[:-1]}{'01'[track_id[-1] == '0']}.mp3?{parts.query}",
        "path: shorter id": f"/v1/music/media/{track_id[:-2]}.mp3?{parts.query}",
        "exp: one second later": _with(track_url, exp=str(int(query["exp"]) + 1)),
        "exp: one second earlier": _with(track_url, exp=str(int(query["exp"]) - 1)),
        "kid: unknown": _with(track_url, kid="k9"),
        "kid: case changed": _with(track_url, kid="K1"),
        "sig: last character": _with(track_url, sig=sig[:-1] + ("A" if sig[-1] != "A" else "B")),
        "sig: another track's": _with(track_url, sig=parse_qs(urlsplit(other["playback_url"]).query)["sig"][0]),
        "sig: all zeros": _with(track_url, sig="A" * 43),
    }
    for name, url in tampered.items():
        response = client.get(url)
        assert response.status_code == 403, (name, response.text)
        assert error_code(response) == "SIGNATURE_INVALID", name
        assert sig not in response.text and track_id not in response.text, name
        assert response.headers["cache-control"] == "no-store"
        assert client.head(url).status_code == 403, name
    # The other track's own URL works, so the refusals above are about the signature alone.
    assert client.get(other["playback_url"]).status_code == 200


def test_expired_url_is_refused_even_with_a_valid_signature(services: Services, track_url: str) -> None:
    past = services.signer.mint(_track_id(track_url), now=time.time() - 3600)
    with TestClient(create_app(services=services), raise_server_exceptions=False) as client:
        for method in ("GET", "HEAD"):
            response = client.request(method, past.url.replace("http://testserver", ""))
            assert response.status_code == 403
        assert error_code(client.get(past.url.replace("http://testserver", ""))) == "SIGNATURE_EXPIRED"


def test_rotation_keeps_earlier_urls_while_configured_over_http(services: Services, track_url: str) -> None:
    """Rotate k1 → k2: k1's URLs play while k1 is still listed, and stop once it is removed."""
    path = track_url.replace("http://testserver", "")
    stages = [
        ("k1:test-secret-one-0123456789abcdef", 200),
        ("k2:test-secret-two-0123456789abcdef,k1:test-secret-one-0123456789abcdef", 200),
        ("k2:test-secret-two-0123456789abcdef", 403),
    ]
    for keys, expected in stages:
        signer = Signer(parse_keys(keys), ttl_seconds=900, base_url="http://testserver")
        rotated = Services(services.settings, services.db, signer, services.storage)
        with TestClient(create_app(services=rotated), raise_server_exceptions=False) as client:
            assert client.get(path).status_code == expected, keys
            fresh = signer.mint(_track_id(track_url)).url.replace("http://testserver", "")
            assert client.get(fresh).status_code == 200  # the signing key's own URLs always play


def test_logs_never_contain_signatures_or_api_keys(
    client: TestClient, alice: Caller, track_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Everything logged while URLs and keys fly around, formatted as the service formats it."""
    from music_studio.logs import RedactingFilter

    sig = parse_qs(urlsplit(track_url).query)["sig"][0]
    caplog.set_level(logging.DEBUG)
    client.get(track_url)
    client.get(_with(track_url, sig="A" * 43))
    client.get("/v1/music/org_a/engines", headers={"X-API-Key": alice.key[:-1] + "x"})
    client.get(f"/v1/music/org_a/generations?api_key={alice.key}", headers=alice.headers)
    # uvicorn's access log line for a media request, through the filter the service installs.
    access = logging.getLogger("uvicorn.access")
    record = access.makeRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        0,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", urlsplit(track_url).path + "?" + urlsplit(track_url).query, "1.1", 200),
        None,
    )
    record_for_key = access.makeRecord(
        "music_studio.test", logging.WARNING, __file__, 0, "presented %s", (alice.key,), None
    )
    redactor = RedactingFilter()
    for item in (record, record_for_key):
        assert redactor.filter(item)
        caplog.handler.handle(item)
    # httpx logs the test client's own requests (the client side); everything else is the service.
    text = "\n".join(logging.Formatter("%(message)s").format(r) for r in caplog.records if r.name != "httpx")
    assert "sig=[redacted]" in text and "ak_[redacted]" in text
    assert sig not in text
    assert alice.key not in text and alice.key[:-1] not in text
