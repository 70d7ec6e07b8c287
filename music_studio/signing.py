"""Mint and verify signed media URLs: HMAC-SHA256 over method, path and expiry, with a key id.

Several keys may be configured: the first signs, all verify, so keys rotate without breaking
live URLs. Expiries are rounded up to a window so a client polling within the same window gets
the same URL (cache-friendly), and a URL is never valid for less than the configured TTL.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from music_studio.errors import SignatureExpired, SignatureInvalid

KID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
WINDOW_SECONDS = 60


@dataclass(frozen=True)
class SignedUrl:
    url: str
    expires_at: int


class Signer:
    def __init__(self, keys: list[tuple[str, bytes]], *, ttl_seconds: int, base_url: str) -> None:
        if not keys:
            raise ValueError("at least one signing key is required")
        self._keys = dict(keys)
        self._signing_kid = keys[0][0]
        self._ttl = ttl_seconds
        self._base_url = base_url.rstrip("/")

    @staticmethod
    def media_path(track_id: str) -> str:
        return f"/v1/music/media/{track_id}.mp3"

    def _signature(self, kid: str, method: str, path: str, exp: int) -> str:
        message = f"{method}\n{path}\n{exp}".encode()
        digest = hmac.new(self._keys[kid], message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def mint(self, track_id: str, *, now: float | None = None) -> SignedUrl:
        now = time.time() if now is None else now
        exp = -(-int(now + self._ttl) // WINDOW_SECONDS) * WINDOW_SECONDS
        path = self.media_path(track_id)
        sig = self._signature(self._signing_kid, "GET", path, exp)
        return SignedUrl(f"{self._base_url}{path}?exp={exp}&kid={self._signing_kid}&sig={sig}", exp)

    def verify(self, method: str, path: str, exp: int, kid: str, sig: str, *, now: float | None = None) -> None:
        """Raise SignatureInvalid or SignatureExpired unless the URL is genuine and live."""
        # HEAD is a GET without a body; a URL minted for GET is good for both.
        method = "GET" if method == "HEAD" else method
        key = self._keys.get(kid)
        if key is None:
            raise SignatureInvalid("unknown key id")
        expected = self._signature(kid, method, path, exp)
        if not hmac.compare_digest(expected.encode(), sig.encode()):
            raise SignatureInvalid("signature mismatch")
        if exp < (time.time() if now is None else now):
            raise SignatureExpired("URL expired")


def parse_keys(raw: str) -> list[tuple[str, bytes]]:
    """Parse "kid:secret,kid2:secret2" (secrets of at least 16 characters)."""
    keys: list[tuple[str, bytes]] = []
    for part in raw.split(","):
        kid, sep, secret = part.strip().partition(":")
        if not sep or not KID_PATTERN.match(kid) or len(secret) < 16:
            raise ValueError(
                "MUSIC_STUDIO_SIGNING_KEYS must be 'kid:secret,...' with kid [A-Za-z0-9_-]{1,32} "
                "and secrets of at least 16 characters"
            )
        keys.append((kid, secret.encode()))
    return keys


def load_or_create_keys(raw: str | None, data_dir: Path) -> list[tuple[str, bytes]]:
    """Configured keys, else one generated on first use and kept (mode 0600) under the data dir."""
    if raw:
        return parse_keys(raw)
    path = data_dir / "signing-keys"
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: when several processes start at once exactly one writes the key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(f"k{secrets.token_hex(4)}:{secrets.token_urlsafe(32)}\n")
    for _ in range(50):
        content = path.read_text().strip()
        if content:
            return parse_keys(content)
        time.sleep(0.01)
    raise RuntimeError(f"signing key file {path} is empty")
