"""One frozen settings object, read from MUSIC_STUDIO_* environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path


class SettingsError(ValueError):
    """A MUSIC_STUDIO_* variable holds a value the service cannot use."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    media_dir: Path
    public_url: str | None
    url_ttl_seconds: int
    signing_keys: str | None
    """Raw "kid:secret,kid2:secret2"; None means a key generated once under data_dir."""
    host: str
    port: int
    validate_responses: bool
    lease_seconds: int
    max_attempts: int
    poll_interval_seconds: float
    max_body_bytes: int
    key_cache_seconds: int = 5
    """How long an API process trusts a looked-up key; also the bound on revocation delay (0: off)."""
    access_log: bool = False
    # Rate limits (token buckets): per API key for the API, per client address for media.
    rate_limits_enabled: bool = True
    rate_limit_reads_per_minute: int = 1200
    rate_limit_reads_burst: int = 200
    rate_limit_creates_per_minute: int = 120
    rate_limit_creates_burst: int = 30
    rate_limit_media_per_minute: int = 1200
    rate_limit_media_burst: int = 200
    redis_url: str | None = None
    """Shared rate-limit buckets for several API processes; None keeps them in process memory."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        data_dir = Path(env.get("MUSIC_STUDIO_DATA_DIR", "./var")).resolve()
        database_url = env.get("MUSIC_STUDIO_DATABASE_URL") or f"sqlite:///{data_dir / 'music-studio.db'}"
        media_dir = Path(env.get("MUSIC_STUDIO_MEDIA_DIR", str(data_dir / "media"))).resolve()
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            media_dir=media_dir,
            public_url=(env.get("MUSIC_STUDIO_PUBLIC_URL") or "").rstrip("/") or None,
            url_ttl_seconds=_int(env, "MUSIC_STUDIO_URL_TTL_SECONDS", 900, minimum=60),
            signing_keys=env.get("MUSIC_STUDIO_SIGNING_KEYS") or None,
            host=env.get("MUSIC_STUDIO_HOST", "127.0.0.1"),
            port=_int(env, "MUSIC_STUDIO_PORT", 8000, minimum=0),
            validate_responses=env.get("MUSIC_STUDIO_VALIDATE_RESPONSES", "1") not in ("0", "false", "no"),
            lease_seconds=_int(env, "MUSIC_STUDIO_LEASE_SECONDS", 30, minimum=2),
            max_attempts=_int(env, "MUSIC_STUDIO_MAX_ATTEMPTS", 3, minimum=1),
            poll_interval_seconds=float(env.get("MUSIC_STUDIO_POLL_INTERVAL_SECONDS", "0.2")),
            max_body_bytes=_int(env, "MUSIC_STUDIO_MAX_BODY_BYTES", 65536, minimum=1024),
            key_cache_seconds=_int(env, "MUSIC_STUDIO_KEY_CACHE_SECONDS", 5, minimum=0),
            access_log=env.get("MUSIC_STUDIO_ACCESS_LOG", "0") in ("1", "true", "yes"),
            rate_limits_enabled=env.get("MUSIC_STUDIO_RATE_LIMITS", "1") not in ("0", "false", "no"),
            rate_limit_reads_per_minute=_int(env, "MUSIC_STUDIO_RATE_LIMIT_READS_PER_MINUTE", 1200, minimum=1),
            rate_limit_reads_burst=_int(env, "MUSIC_STUDIO_RATE_LIMIT_READS_BURST", 200, minimum=1),
            rate_limit_creates_per_minute=_int(env, "MUSIC_STUDIO_RATE_LIMIT_CREATES_PER_MINUTE", 120, minimum=1),
            rate_limit_creates_burst=_int(env, "MUSIC_STUDIO_RATE_LIMIT_CREATES_BURST", 30, minimum=1),
            rate_limit_media_per_minute=_int(env, "MUSIC_STUDIO_RATE_LIMIT_MEDIA_PER_MINUTE", 1200, minimum=1),
            rate_limit_media_burst=_int(env, "MUSIC_STUDIO_RATE_LIMIT_MEDIA_BURST", 200, minimum=1),
            redis_url=env.get("MUSIC_STUDIO_REDIS_URL") or None,
        )

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def base_url(self) -> str:
        """Where clients reach this service: MUSIC_STUDIO_PUBLIC_URL, else the bound address."""
        return self.public_url or f"http://{self.host}:{self.port}"


def _int(env: Mapping[str, str], name: str, default: int, *, minimum: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value
