"""Organisations, users, memberships and API keys.

Keys are `ak_` + 40 alphanumerics, shown once and stored only as a SHA-256 hash. A key belongs
to one user; the user reaches organisations through memberships.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
import threading
import time
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from music_studio.db.connection import writing
from music_studio.db.tables import api_keys, memberships, organizations, users
from music_studio.ids import new_id

KEY_ALPHABET = string.ascii_letters + string.digits
KEY_PATTERN = re.compile(r"^ak_[A-Za-z0-9]{40}$")
ORG_ID_PATTERN = re.compile(r"^org_[A-Za-z0-9]{1,48}$")
USER_ID_PATTERN = re.compile(r"^usr_[A-Za-z0-9]{1,48}$")


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's user and the organisations they belong to."""

    user_id: str
    key_id: str
    organization_ids: frozenset[str]


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def generate_key() -> str:
    return "ak_" + "".join(secrets.choice(KEY_ALPHABET) for _ in range(40))


_KEY_QUERY = (
    sa.select(api_keys.c.id, api_keys.c.user_id, api_keys.c.key_hash, memberships.c.organization_id)
    .select_from(api_keys.outerjoin(memberships, memberships.c.user_id == api_keys.c.user_id))
    .where(api_keys.c.key_hash == sa.bindparam("digest"), api_keys.c.revoked_at.is_(None))
)


def _lookup(engine: sa.Engine, digest: str) -> Principal | None:
    with engine.connect() as conn:
        rows = conn.execute(_KEY_QUERY, {"digest": digest}).all()
    if not rows or not hmac.compare_digest(rows[0].key_hash, digest):
        return None
    orgs = frozenset(row.organization_id for row in rows if row.organization_id)
    return Principal(user_id=rows[0].user_id, key_id=rows[0].id, organization_ids=orgs)


class PrincipalCache:
    """Principals of recently seen keys, trusted for `ttl` seconds (per API process).

    Revoking a key or changing memberships through this module drops cached entries in this
    process at once; in another process (the CLI, another API process) the change is seen within
    `ttl` seconds. Unknown keys are never cached. `ttl` 0 turns the cache off.
    """

    MAX_ENTRIES = 10_000

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()
        _CACHES.add(self)

    def get(self, presented: str) -> tuple[str, Principal | None]:
        """(digest of the key, its cached principal or None) for a well-formed key."""
        digest = hash_key(presented)
        entry = self._entries.get(digest)
        if entry is not None and entry[0] > time.monotonic():
            return digest, entry[1]
        return digest, None

    def put(self, digest: str, principal: Principal) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            if len(self._entries) >= self.MAX_ENTRIES:
                self._entries.clear()
            self._entries[digest] = (time.monotonic() + self.ttl, principal)

    def forget(self, digest: str | None = None) -> None:
        """Drop one key (by digest) or, with None, every entry."""
        with self._lock:
            if digest is None:
                self._entries.clear()
            else:
                self._entries.pop(digest, None)


_CACHES: weakref.WeakSet[PrincipalCache] = weakref.WeakSet()


def _invalidate(digest: str | None = None) -> None:
    for cache in list(_CACHES):
        cache.forget(digest)


def authenticate_cached(engine: sa.Engine, cache: PrincipalCache, presented: str) -> Principal | None:
    """The principal for a presented key, or None if it is malformed, unknown or revoked.

    A cache hit costs one SHA-256 and a dict lookup; a PrincipalCache(0) always asks the database.
    """
    if not KEY_PATTERN.match(presented):
        return None
    digest, principal = cache.get(presented)
    if principal is None:
        principal = _lookup(engine, digest)
        if principal is not None:
            cache.put(digest, principal)
    return principal


def ensure_member(engine: sa.Engine, organization_id: str, user_id: str, *, role: str = "member") -> None:
    """Create the organisation, the user and the membership where missing."""
    if not ORG_ID_PATTERN.match(organization_id):
        raise ValueError("organisation ids look like org_ followed by 1-48 letters or digits")
    if not USER_ID_PATTERN.match(user_id):
        raise ValueError("user ids look like usr_ followed by 1-48 letters or digits")
    now = datetime.now(UTC)
    with writing(engine) as conn:
        if conn.execute(sa.select(organizations.c.id).where(organizations.c.id == organization_id)).first() is None:
            conn.execute(organizations.insert().values(id=organization_id, name=organization_id, created_at=now))
        if conn.execute(sa.select(users.c.id).where(users.c.id == user_id)).first() is None:
            conn.execute(users.insert().values(id=user_id, name=user_id, created_at=now))
        member = sa.select(memberships.c.user_id).where(
            memberships.c.organization_id == organization_id, memberships.c.user_id == user_id
        )
        if conn.execute(member).first() is None:
            conn.execute(
                memberships.insert().values(organization_id=organization_id, user_id=user_id, role=role, created_at=now)
            )
    _invalidate()  # a cached principal lists its organisations


def create_key(engine: sa.Engine, organization_id: str, user_id: str) -> str:
    """Create a new key for the user (creating org, user and membership as needed); returns it once."""
    ensure_member(engine, organization_id, user_id)
    key = generate_key()
    with writing(engine) as conn:
        conn.execute(
            api_keys.insert().values(
                id=new_id("key"),
                user_id=user_id,
                key_hash=hash_key(key),
                prefix=key[:8],
                created_at=datetime.now(UTC),
            )
        )
    return key


def revoke_key(engine: sa.Engine, key: str) -> bool:
    """Revoke by flag (kept for audit); True if a live key was revoked."""
    with writing(engine) as conn:
        result = conn.execute(
            api_keys.update()
            .where(api_keys.c.key_hash == hash_key(key), api_keys.c.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
    _invalidate(hash_key(key))
    return result.rowcount == 1
