"""Rate limits: token buckets per API key (creates tighter than reads), per client address on media.

The bucket arithmetic is tested with a fake clock; the HTTP tests use tiny buckets, so nothing
here depends on how fast the machine is.
"""

from __future__ import annotations

import asyncio
import functools
import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from music_studio import ratelimit
from music_studio.db.tables import jobs
from music_studio.ratelimit import MemoryBuckets, RedisBuckets, Rule
from music_studio.services import Services
from tests.conftest import Caller, client_with, create_job, error_code

REDIS_URL = os.environ.get("MUSIC_STUDIO_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
BODY = {"engine": "studio", "prompt": "rate limited", "duration_seconds": 1}


def _job_count(services: Services) -> int:
    with services.db.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(jobs)).scalar_one())


def _assert_rate_limited(response: Any, limit: int) -> None:
    assert response.status_code == 429, response.text
    assert error_code(response) == "RATE_LIMITED"
    assert int(response.headers["retry-after"]) >= 1
    assert response.headers["x-ratelimit-limit"] == str(limit)
    assert response.headers["x-ratelimit-remaining"] == "0"
    assert int(response.headers["x-ratelimit-reset"]) > 1_700_000_000  # epoch seconds, not a delta
    assert response.headers["cache-control"] == "no-store"


# --- the bucket itself (fake clock) ---


def test_bucket_allows_burst_then_refills_at_the_rate() -> None:
    now = [1000.0]
    buckets = MemoryBuckets(clock=lambda: now[0], wall=lambda: 1_800_000_000.0 + now[0])
    rule = Rule(per_minute=60, burst=3)  # one token a second
    decisions = [buckets.take_now("reads", "k", rule) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    assert decisions[3].retry_after == 1
    assert decisions[2].reset == 1_800_001_000 + 3  # full again after three seconds
    now[0] += 1.0
    assert buckets.take_now("reads", "k", rule).allowed
    assert not buckets.take_now("reads", "k", rule).allowed
    now[0] += 3600
    assert buckets.take_now("reads", "k", rule).remaining == 2  # capped at the burst


def test_buckets_are_per_name_and_key() -> None:
    buckets = MemoryBuckets(clock=lambda: 0.0)
    rule = Rule(per_minute=1, burst=1)
    assert buckets.take_now("creates", "a", rule).allowed
    assert not buckets.take_now("creates", "a", rule).allowed
    assert buckets.take_now("creates", "b", rule).allowed
    assert buckets.take_now("reads", "a", rule).allowed


def test_slow_rule_retry_after_is_whole_seconds() -> None:
    buckets = MemoryBuckets(clock=lambda: 0.0)
    rule = Rule(per_minute=2, burst=1)  # a token every 30 s
    buckets.take_now("creates", "k", rule)
    assert buckets.take_now("creates", "k", rule).retry_after == 30


def test_idle_buckets_are_pruned() -> None:
    now = [0.0]
    buckets = MemoryBuckets(clock=lambda: now[0])
    buckets.PRUNE_AT = 3
    rule = Rule(per_minute=60, burst=1)
    for key in "abc":
        buckets.take_now("reads", key, rule)
    now[0] += 10
    buckets.take_now("reads", "d", rule)
    assert len(buckets._state) == 1


# --- over HTTP ---


def test_creates_are_limited_per_key_with_429_and_headers(
    services: Services, make_caller: Callable[[str, str], Caller]
) -> None:
    alice, bob = make_caller("org_a", "usr_a1"), make_caller("org_a", "usr_a2")
    with client_with(services, rate_limit_creates_burst=2, rate_limit_creates_per_minute=1) as client:
        for remaining in ("1", "0"):
            ok = client.post("/v1/music/org_a/generations", json=BODY, headers=alice.headers)
            assert ok.status_code == 202
            assert ok.headers["x-ratelimit-limit"] == "2"
            assert ok.headers["x-ratelimit-remaining"] == remaining
        before = _job_count(services)
        refused = client.post("/v1/music/org_a/generations", json=BODY, headers=alice.headers)
        _assert_rate_limited(refused, 2)
        retry_after = int(refused.headers["retry-after"])
        assert 1 <= retry_after <= 60  # one token a minute, some of it already refilled
        assert refused.json()["error"]["details"] == {"limit": 2, "retry_after_seconds": retry_after}
        assert _job_count(services) == before  # nothing was created
        # Another key has its own bucket; reads have theirs.
        assert client.post("/v1/music/org_a/generations", json=BODY, headers=bob.headers).status_code == 202
        listed = client.get("/v1/music/org_a/generations", headers=alice.headers)
        assert listed.status_code == 200
        assert listed.headers["x-ratelimit-limit"] == "200"


def test_reads_are_limited_on_every_operation_that_has_a_key(
    services: Services, client: TestClient, alice: Caller
) -> None:
    job = create_job(client, alice)
    paths = [
        ("GET", "/v1/music/org_a/engines"),
        ("GET", "/v1/music/org_a/generations"),
        ("GET", f"/v1/music/org_a/generations/{job['id']}"),
        ("POST", f"/v1/music/org_a/generations/{job['id']}/cancel"),
        ("GET", "/v1/music/org_a/tracks/mtrack_000000000000000000000000"),
    ]
    for method, path in paths:
        with client_with(services, rate_limit_reads_burst=1, rate_limit_reads_per_minute=1) as limited:
            first = limited.request(method, path, headers=alice.headers)
            assert first.status_code in (200, 404), first.text
            _assert_rate_limited(limited.request(method, path, headers=alice.headers), 1)


def test_rejected_keys_and_health_probes_do_not_touch_buckets(services: Services, alice: Caller) -> None:
    with client_with(services, rate_limit_reads_burst=1) as client:
        for _ in range(3):
            assert client.get("/v1/music/org_a/engines", headers={"X-API-Key": "ak_" + "x" * 40}).status_code == 401
            assert client.get("/healthz").status_code == 200
        assert "x-ratelimit-limit" not in client.get("/healthz").headers
        assert client.get("/v1/music/org_a/engines", headers=alice.headers).status_code == 200


def test_media_is_limited_per_client_address(
    services: Services, client: TestClient, alice: Caller, render_all: Callable[[], int]
) -> None:
    job = create_job(client, alice)
    render_all()
    url = client.get(f"/v1/music/org_a/generations/{job['id']}", headers=alice.headers).json()["playback_url"]
    with client_with(services, rate_limit_media_burst=2, rate_limit_media_per_minute=1) as limited:
        assert limited.get(url).status_code == 200
        assert limited.head(url).headers["x-ratelimit-remaining"] == "0"
        _assert_rate_limited(limited.get(url), 2)
        assert limited.head(url).status_code == 429


def test_limits_can_be_switched_off(services: Services, alice: Caller) -> None:
    with client_with(services, rate_limits_enabled=False, rate_limit_reads_burst=1) as client:
        for _ in range(3):
            response = client.get("/v1/music/org_a/engines", headers=alice.headers)
            assert response.status_code == 200
            assert "x-ratelimit-limit" not in response.headers


# --- Redis: several API processes share one bucket ---


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis at {REDIS_URL} is unreachable ({error}); .ci/run starts it")
    prefix = f"music-studio-test:{uuid.uuid4().hex}"
    yield prefix
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


def test_redis_buckets_are_shared_between_processes(redis_prefix: str) -> None:
    rule = Rule(per_minute=1, burst=3)

    async def run() -> list[bool]:
        first, second = RedisBuckets(REDIS_URL, prefix=redis_prefix), RedisBuckets(REDIS_URL, prefix=redis_prefix)
        results = []
        for buckets in (first, second, first, second, first):
            decision = await buckets.take("creates", "key1", rule)
            assert decision is not None
            results.append(decision.allowed)
        other = await second.take("creates", "key2", rule)
        assert other is not None and other.allowed and other.remaining == 2
        return results

    assert asyncio.run(run()) == [True, True, True, False, False]


def test_redis_refusal_carries_the_same_headers(redis_prefix: str) -> None:
    async def run() -> None:
        buckets = RedisBuckets(REDIS_URL, prefix=redis_prefix)
        rule = Rule(per_minute=60, burst=1)
        assert (await buckets.take("reads", "k", rule)) is not None
        refused = await buckets.take("reads", "k", rule)
        assert refused is not None and not refused.allowed
        assert refused.limit == 1 and refused.remaining == 0 and refused.retry_after == 1
        assert refused.reset > 1_700_000_000

    asyncio.run(run())


def test_two_api_processes_share_limits_through_redis(
    services: Services, alice: Caller, redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ratelimit, "RedisBuckets", functools.partial(RedisBuckets, prefix=redis_prefix))
    overrides = {"redis_url": REDIS_URL, "rate_limit_creates_burst": 2, "rate_limit_creates_per_minute": 1}
    with client_with(services, **overrides) as one, client_with(services, **overrides) as two:
        assert one.post("/v1/music/org_a/generations", json=BODY, headers=alice.headers).status_code == 202
        assert two.post("/v1/music/org_a/generations", json=BODY, headers=alice.headers).status_code == 202
        _assert_rate_limited(one.post("/v1/music/org_a/generations", json=BODY, headers=alice.headers), 2)
        _assert_rate_limited(two.post("/v1/music/org_a/generations", json=BODY, headers=alice.headers), 2)


def test_unreachable_redis_fails_open(services: Services, alice: Caller, caplog: pytest.LogCaptureFixture) -> None:
    with client_with(services, redis_url="redis://127.0.0.1:1/0", rate_limit_reads_burst=1) as client:
        for _ in range(3):
            response = client.get("/v1/music/org_a/engines", headers=alice.headers)
            assert response.status_code == 200
            assert "x-ratelimit-limit" not in response.headers
    assert "rate limiter unavailable" in caplog.text
