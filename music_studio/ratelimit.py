"""Token-bucket rate limits: in process memory by default, in Redis when several processes share them.

A bucket holds up to `burst` tokens and refills at `per_minute / 60` tokens a second; every request
takes one. `Decision` carries what the client is told: the bucket size (`limit`), the whole tokens
left (`remaining`), when the bucket is full again (`reset`, Unix seconds) and, when refused, how
long until the next token (`retry_after`, whole seconds, at least 1).

The Redis backend runs one Lua script per request (read, refill, take, write, expire: atomic on
the server) and takes the time from the Redis server, so API processes on hosts with skewed clocks
still share one bucket. If Redis cannot be reached the request is allowed (fail open) and a
warning is logged at most once a minute: a limiter outage must not become an API outage.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from music_studio.settings import Settings

logger = logging.getLogger("music_studio.ratelimit")


@dataclass(frozen=True)
class Rule:
    per_minute: int
    burst: int

    @property
    def rate(self) -> float:
        """Tokens added per second."""
        return self.per_minute / 60.0


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset: int
    retry_after: int


def decide(rule: Rule, tokens_after: float, allowed: bool, now_epoch: float) -> Decision:
    """What to tell the client, from the bucket's level after this request."""
    missing = max(0.0, rule.burst - tokens_after)
    retry_after = 0 if allowed else max(1, math.ceil((1.0 - tokens_after) / rule.rate))
    return Decision(
        allowed=allowed,
        limit=rule.burst,
        remaining=max(0, math.floor(tokens_after)),
        reset=math.ceil(now_epoch + missing / rule.rate),
        retry_after=retry_after,
    )


class Buckets(Protocol):
    async def take(self, name: str, key: str, rule: Rule) -> Decision | None:
        """Take one token from the bucket `name:key`; None when the limiter is unavailable."""


class MemoryBuckets:
    """One process's buckets. Idle buckets (full again) are dropped so memory stays bounded."""

    PRUNE_AT = 10_000

    def __init__(self, clock: Callable[[], float] = time.monotonic, wall: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._wall = wall
        self._state: dict[tuple[str, str], tuple[float, float]] = {}
        self._lock = threading.Lock()

    async def take(self, name: str, key: str, rule: Rule) -> Decision | None:
        return self.take_now(name, key, rule)

    def take_now(self, name: str, key: str, rule: Rule) -> Decision:
        now = self._clock()
        with self._lock:
            tokens, updated = self._state.get((name, key), (float(rule.burst), now))
            tokens = min(float(rule.burst), tokens + max(0.0, now - updated) * rule.rate)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            if len(self._state) >= self.PRUNE_AT:
                self._prune(now, rule)
            self._state[(name, key)] = (tokens, now)
        return decide(rule, tokens, allowed, self._wall())

    def _prune(self, now: float, rule: Rule) -> None:
        full_after = rule.burst / rule.rate
        for bucket, (_tokens, updated) in list(self._state.items()):
            if now - updated >= full_after:
                del self._state[bucket]


# KEYS[1] bucket; ARGV: burst, tokens per second. Returns {allowed, tokens after, server time}.
# Numbers go back as strings: Redis truncates Lua numbers in replies to integers.
TOKEN_BUCKET_LUA = """
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'ts', string.format('%.6f', now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return {allowed, string.format('%.6f', tokens), string.format('%.6f', now)}
"""


class RedisBuckets:
    """Buckets shared by every process that uses the same Redis (and prefix)."""

    WARN_EVERY_SECONDS = 60.0

    def __init__(self, url: str, *, prefix: str = "music-studio:rl") -> None:
        self._url = url
        self._prefix = prefix
        # redis.asyncio connections belong to the event loop that opened them.
        self._clients: dict[int, tuple[Any, Any]] = {}
        self._last_warning = -math.inf

    def _script(self) -> Any:
        import redis.asyncio

        loop = asyncio.get_running_loop()
        found = self._clients.get(id(loop))
        if found is None or found[0] is not loop:
            client = redis.asyncio.Redis.from_url(self._url, socket_timeout=1.0, socket_connect_timeout=1.0)
            found = (loop, client.register_script(TOKEN_BUCKET_LUA))
            self._clients[id(loop)] = found
        return found[1]

    def key(self, name: str, key: str) -> str:
        return f"{self._prefix}:{name}:{key}"

    async def take(self, name: str, key: str, rule: Rule) -> Decision | None:
        import redis

        try:
            allowed, tokens, now = await self._script()(keys=[self.key(name, key)], args=[rule.burst, rule.rate])
        except (redis.RedisError, OSError) as error:
            if time.monotonic() - self._last_warning >= self.WARN_EVERY_SECONDS:
                self._last_warning = time.monotonic()
                logger.warning("rate limiter unavailable, allowing requests: %s", error)
            return None
        return decide(rule, float(tokens), int(allowed) == 1, float(now))


@dataclass(frozen=True)
class Limits:
    """The rules and the buckets of one API process."""

    buckets: Buckets
    reads: Rule
    creates: Rule
    media: Rule

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits | None:
        if not settings.rate_limits_enabled:
            return None
        buckets: Buckets = RedisBuckets(settings.redis_url) if settings.redis_url else MemoryBuckets()
        return cls(
            buckets=buckets,
            reads=Rule(settings.rate_limit_reads_per_minute, settings.rate_limit_reads_burst),
            creates=Rule(settings.rate_limit_creates_per_minute, settings.rate_limit_creates_burst),
            media=Rule(settings.rate_limit_media_per_minute, settings.rate_limit_media_burst),
        )
