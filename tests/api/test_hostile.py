"""Hostile input: every request below gets a 4xx in the error envelope, never a 500, never a stack
trace or a file path, and leaves the database exactly as it was.

Control characters: free text (prompt, title, style_tags, lyrics) may hold tab, line feed and
carriage return, and no other C0 control character or DEL (the contract's pattern says so):
they have no place in a prompt, some databases refuse NUL in text, and they make logs lie.
Unicode beyond that (emoji, CJK, right-to-left scripts, combining marks) is welcome.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from music_studio.db.tables import api_keys, jobs, memberships, tracks
from music_studio.services import Services
from tests.conftest import Caller, client_with, create_job, error_code

CREATE = "/v1/music/org_a/generations"
GOOD = {"engine": "studio", "prompt": "calm lo-fi piano", "duration_seconds": 2}
JSON = {"Content-Type": "application/json"}
SIG = "A" * 43
LEAKS = ("Traceback", 'File "', "/work/", "site-packages", ".py", "handlers.", "music_studio", "sqlalchemy")


def _counts(services: Services) -> dict[str, int]:
    with services.db.connect() as conn:
        return {
            table.name: int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
            for table in (jobs, tracks, api_keys, memberships)
        }


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    """Rate limits far above this module's volume: hostile creates must meet validation, not 429."""
    with client_with(services, rate_limit_creates_burst=10_000, rate_limit_reads_burst=10_000) as test_client:
        yield test_client


@pytest.fixture
def unchanged(services: Services, alice: Caller) -> Iterator[None]:
    """The database holds the same rows after the test as before it."""
    before = _counts(services)
    yield
    assert _counts(services) == before


def assert_rejected(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert error_code(response) == code  # the envelope, with trace_id == X-Request-ID
    for leak in LEAKS:
        assert leak not in response.text, (leak, response.text)


@dataclass(frozen=True)
class Hostile:
    name: str
    method: str
    path: str
    status: int
    code: str
    content: bytes | None = None
    json: Any = None
    headers: dict[str, str | bytes] | None = None


def _body(**fields: Any) -> dict[str, Any]:
    return {**GOOD, **fields}


NESTED = b"[" * 5000 + b"]" * 5000
HOSTILE = [
    # Bodies that cannot be read.
    Hostile(
        "invalid UTF-8",
        "POST",
        CREATE,
        400,
        "INVALID_REQUEST",
        b'{"engine": "studio", "prompt": "\xff\xfe"}',
        None,
        JSON,
    ),
    Hostile("truncated JSON", "POST", CREATE, 400, "INVALID_REQUEST", b'{"engine": "studio", "prompt": ', None, JSON),
    Hostile(
        "NaN",
        "POST",
        CREATE,
        400,
        "INVALID_REQUEST",
        b'{"engine":"studio","prompt":"x","duration_seconds":NaN}',
        None,
        JSON,
    ),
    Hostile(
        "lone surrogate",
        "POST",
        CREATE,
        400,
        "INVALID_REQUEST",
        b'{"engine":"studio","prompt":"\\ud800","duration_seconds":1}',
        None,
        JSON,
    ),
    Hostile(
        "400-digit integer",
        "POST",
        CREATE,
        400,
        "INVALID_REQUEST",
        b'{"duration_seconds":' + b"9" * 400 + b"}",
        None,
        JSON,
    ),
    Hostile("5000-deep nesting", "POST", CREATE, 400, "INVALID_REQUEST", NESTED, None, JSON),
    # Wrong, missing or exotic content types.
    Hostile(
        "text/plain",
        "POST",
        CREATE,
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        b"engine=studio",
        None,
        {"Content-Type": "text/plain"},
    ),
    Hostile(
        "form",
        "POST",
        CREATE,
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        b"engine=studio",
        None,
        {"Content-Type": "application/x-www-form-urlencoded"},
    ),
    Hostile(
        "merge-patch+json",
        "POST",
        CREATE,
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        b"{}",
        None,
        {"Content-Type": "application/merge-patch+json"},
    ),
    Hostile(
        "no Content-Type",
        "POST",
        CREATE,
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        b'{"engine":"studio","prompt":"x","duration_seconds":1}',
    ),
    # Shapes the contract does not allow.
    Hostile("empty body", "POST", CREATE, 422, "VALIDATION_ERROR", b"", None, JSON),
    Hostile("JSON null", "POST", CREATE, 422, "VALIDATION_ERROR", b"null", None, JSON),
    Hostile("top-level array", "POST", CREATE, 422, "VALIDATION_ERROR", None, [GOOD]),
    Hostile("unknown field", "POST", CREATE, 422, "VALIDATION_ERROR", None, _body(admin=True)),
    Hostile(
        "nested unknown field",
        "POST",
        CREATE,
        422,
        "VALIDATION_ERROR",
        b'{"engine":"studio","prompt":"x","duration_seconds":1,"a":' + b"[" * 500 + b"]" * 500 + b"}",
        None,
        JSON,
    ),
    Hostile("float duration", "POST", CREATE, 422, "VALIDATION_ERROR", None, _body(duration_seconds=2.5)),
    Hostile("boolean duration", "POST", CREATE, 422, "VALIDATION_ERROR", None, _body(duration_seconds=True)),
    Hostile("string duration", "POST", CREATE, 422, "VALIDATION_ERROR", None, _body(duration_seconds="30")),
    Hostile("negative duration", "POST", CREATE, 422, "VALIDATION_ERROR", None, _body(duration_seconds=-1)),
    Hostile("huge duration", "POST", CREATE, 422, "VALIDATION_ERROR", None, _body(duration_seconds=10**18)),
    # Null bytes and control characters in body strings.
    Hostile("NUL in prompt", "POST", CREATE, 422, "VALIDATION_ERROR", None, _body(prompt="lo-fi\x00piano")),
    Hostile("BEL in prompt", "POST", CREATE, 422, "VALIDATION_ERROR", None, _body(prompt="lo-fi\x07")),
    Hostile("ESC sequence in prompt", "POST", CREATE, 422, "VALIDATION_ERROR", None, _body(prompt="\x1b[2Jcleared")),
    Hostile("DEL in title", "POST", CREATE, 422, "VALIDATION_ERROR", None, _body(title="a\x7f")),
    Hostile("NUL in style tag", "POST", CREATE, 422, "VALIDATION_ERROR", None, _body(style_tags=["jazz\x00"])),
    Hostile("NUL in idempotency_key", "POST", CREATE, 422, "VALIDATION_ERROR", None, _body(idempotency_key="k\x00")),
    # Very long strings.
    Hostile("2001-character prompt", "POST", CREATE, 422, "VALIDATION_ERROR", None, _body(prompt="a" * 2001)),
    Hostile("60 KB prompt", "POST", CREATE, 422, "VALIDATION_ERROR", None, _body(prompt="é" * 30_000)),
    Hostile("long style tag", "POST", CREATE, 422, "VALIDATION_ERROR", None, _body(style_tags=["a" * 41])),
    Hostile("11 style tags", "POST", CREATE, 422, "VALIDATION_ERROR", None, _body(style_tags=["a"] * 11)),
    # Over the documented size limit (64 KiB).
    Hostile(
        "65 KiB body", "POST", CREATE, 413, "PAYLOAD_TOO_LARGE", b'{"prompt": "' + b"a" * 66_000 + b'"}', None, JSON
    ),
    Hostile(
        "lying Content-Length",
        "POST",
        CREATE,
        413,
        "PAYLOAD_TOO_LARGE",
        b"{}",
        None,
        {**JSON, "Content-Length": "10000000"},
    ),
    # Query parameters.
    Hostile("limit 0", "GET", CREATE + "?limit=0", 422, "VALIDATION_ERROR"),
    Hostile("limit -1", "GET", CREATE + "?limit=-1", 422, "VALIDATION_ERROR"),
    Hostile("limit 101", "GET", CREATE + "?limit=101", 422, "VALIDATION_ERROR"),
    Hostile("limit 40 digits", "GET", CREATE + "?limit=" + "9" * 40, 422, "VALIDATION_ERROR"),
    Hostile("limit 1.5", "GET", CREATE + "?limit=1.5", 422, "VALIDATION_ERROR"),
    Hostile("limit abc", "GET", CREATE + "?limit=abc", 422, "VALIDATION_ERROR"),
    Hostile("offset -1", "GET", CREATE + "?offset=-1", 422, "VALIDATION_ERROR"),
    Hostile("offset 10^30", "GET", CREATE + "?offset=" + "1" + "0" * 30, 422, "VALIDATION_ERROR"),
    Hostile("NUL in status", "GET", CREATE + "?status=queued%00", 422, "VALIDATION_ERROR"),
    Hostile("CRLF in status", "GET", CREATE + "?status=queued%0D%0AX-Injected:%201", 422, "VALIDATION_ERROR"),
    Hostile("20 KB status", "GET", CREATE + "?status=" + "a" * 20_000, 422, "VALIDATION_ERROR"),
    Hostile("unknown parameter", "GET", CREATE + "?admin=1", 422, "VALIDATION_ERROR"),
    Hostile("API key in the query", "GET", CREATE + "?api_key=ak_" + "a" * 40, 422, "VALIDATION_ERROR"),
    # Headers.
    Hostile(
        "CRLF in Idempotency-Key",
        "POST",
        CREATE,
        422,
        "VALIDATION_ERROR",
        None,
        GOOD,
        {"Idempotency-Key": "a\r\nSet-Cookie: x=1"},
    ),
    Hostile(
        "NUL in Idempotency-Key", "POST", CREATE, 422, "VALIDATION_ERROR", None, GOOD, {"Idempotency-Key": "a\x00b"}
    ),
    Hostile(
        "UTF-8 Idempotency-Key",
        "POST",
        CREATE,
        422,
        "VALIDATION_ERROR",
        None,
        GOOD,
        {"Idempotency-Key": "ключ".encode()},
    ),
    Hostile(
        "256-byte Idempotency-Key", "POST", CREATE, 422, "VALIDATION_ERROR", None, GOOD, {"Idempotency-Key": "k" * 256}
    ),
    # Path traversal and odd ids (an encoded slash is a slash by the time routing sees it: no route).
    Hostile("traversal job id", "GET", CREATE + "/..%2F..%2Fetc%2Fpasswd", 404, "NOT_FOUND"),
    Hostile("traversal after prefix", "GET", CREATE + "/mgen_..%2F..%2Fetc", 404, "NOT_FOUND"),
    Hostile("NUL in job id", "GET", CREATE + "/mgen_0000%00", 422, "VALIDATION_ERROR"),
    Hostile("SQL in job id", "GET", CREATE + "/mgen_1'%20OR%20'1'='1", 422, "VALIDATION_ERROR"),
    Hostile("traversal track id", "GET", "/v1/music/org_a/tracks/mtrack_..%2F..%2Fvar", 404, "NOT_FOUND"),
    Hostile("traversal org", "GET", "/v1/music/..%2Forg_a/generations", 404, "NOT_FOUND"),
    Hostile(
        "traversal media", "GET", f"/v1/music/media/..%2F..%2Fetc%2Fpasswd.mp3?exp=1&kid=k1&sig={SIG}", 404, "NOT_FOUND"
    ),
    Hostile(
        "dot-dot media", "GET", f"/v1/music/media/mtrack_%2e%2e%2f0000.mp3?exp=1&kid=k1&sig={SIG}", 404, "NOT_FOUND"
    ),
    Hostile(
        "negative exp",
        "GET",
        f"/v1/music/media/mtrack_000000000000.mp3?exp=-1&kid=k1&sig={SIG}",
        422,
        "VALIDATION_ERROR",
    ),
    Hostile(
        "CRLF in kid",
        "GET",
        f"/v1/music/media/mtrack_000000000000.mp3?exp=1&kid=k1%0D%0A&sig={SIG}",
        422,
        "VALIDATION_ERROR",
    ),
]


def test_hostile_input_is_a_4xx_envelope_and_changes_nothing(
    client: TestClient, services: Services, alice: Caller
) -> None:
    # One app and database for all cases (cheap); each case checks the row counts itself.
    failures = []
    for case in HOSTILE:
        before = _counts(services)
        headers = {**alice.headers, **(case.headers or {})}
        response = client.request(case.method, case.path, content=case.content, json=case.json, headers=headers)
        try:
            assert_rejected(response, case.status, case.code)
            assert _counts(services) == before
        except AssertionError as error:
            failures.append(f"{case.name}: {error}")
    assert not failures, "\n".join(failures)


def test_chunked_json_body_is_read(client: TestClient, alice: Caller, services: Services) -> None:
    before = _counts(services)["jobs"]
    chunks = iter([b'{"engine": "studio", ', b'"prompt": "chunked", "duration_seconds": 1}'])
    response = client.post(CREATE, content=chunks, headers={**alice.headers, **JSON})
    assert response.status_code == 202, response.text
    assert _counts(services)["jobs"] == before + 1


def test_body_over_the_limit_without_content_length_is_413(client: TestClient, alice: Caller, unchanged: None) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"prompt": "'
        for _ in range(20):
            yield b"a" * 4096
        yield b'"}'

    response = client.post(CREATE, content=chunks(), headers={**alice.headers, **JSON})
    assert_rejected(response, 413, "PAYLOAD_TOO_LARGE")
    assert response.json()["error"]["details"] == {"limit_bytes": 65536}


@pytest.mark.parametrize(
    "value",
    ["abcdefgh\r\nSet-Cookie: a=b", "abcdefgh\x00", "../../etc/passwd", "x" * 65, "short", "<script>alert(1)</script>"],
)
def test_hostile_request_ids_are_replaced_not_echoed(
    client: TestClient, alice: Caller, unchanged: None, value: str
) -> None:
    response = client.get(
        "/v1/music/org_a/generations/mgen_000000000000", headers={**alice.headers, "X-Request-ID": value}
    )
    assert_rejected(response, 404, "NOT_FOUND")
    trace_id = response.headers["x-request-id"]
    assert trace_id != value and "\n" not in trace_id and len(trace_id) == 36
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize(
    "prompt",
    [
        "🎹🌙 lo-fi для учёбы",
        "夜の勉強用ローファイ、ピアノ",
        "موسيقى هادئة للدراسة",
        "e\u0301te\u0301 calme, piano",  # combining accents
        "tabs\tand\nnew lines\r\nare fine",
        "a" * 2000,
    ],
)
def test_unicode_prompts_are_accepted(client: TestClient, alice: Caller, services: Services, prompt: str) -> None:
    before = _counts(services)["jobs"]
    job = create_job(client, alice, prompt=prompt)
    assert job["status"] in ("queued", "refused")
    assert _counts(services)["jobs"] == before + 1


def test_nothing_hostile_reaches_a_500(
    client: TestClient, alice: Caller, render_all: Callable[[], int], unchanged: None
) -> None:
    """Methods and paths the contract does not have: 404/405 envelopes."""
    cases = [
        ("DELETE", CREATE, 405, "METHOD_NOT_ALLOWED"),
        ("PUT", CREATE + "/mgen_000000000000", 405, "METHOD_NOT_ALLOWED"),
        ("TRACE", CREATE, 405, "METHOD_NOT_ALLOWED"),
        ("GET", "/v1/music/org_a/../../etc/passwd", 404, "NOT_FOUND"),
        ("GET", "/v1/music/org_a/generations/mgen_000000000000/../../../engines/../x", 404, "NOT_FOUND"),
        ("GET", "/%00", 404, "NOT_FOUND"),
    ]
    for method, path, status, code in cases:
        assert_rejected(client.request(method, path, headers=alice.headers), status, code)
