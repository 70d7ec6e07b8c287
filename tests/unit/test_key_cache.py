"""The API-key cache: hits skip the database; revocation here is immediate, elsewhere bounded by the TTL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from music_studio import identity
from music_studio.db.connection import writing
from music_studio.db.tables import api_keys
from music_studio.services import Services


def test_revocation_in_this_process_is_immediate(services: Services) -> None:
    cache = identity.PrincipalCache(ttl=60)
    key = identity.create_key(services.db, "org_a", "usr_a1")
    assert identity.authenticate_cached(services.db, cache, key) is not None
    assert identity.revoke_key(services.db, key)
    assert identity.authenticate_cached(services.db, cache, key) is None


def test_revocation_elsewhere_is_seen_once_the_ttl_has_passed(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(identity.time, "monotonic", lambda: now[0])
    cache = identity.PrincipalCache(ttl=5)
    key = identity.create_key(services.db, "org_a", "usr_a1")
    assert identity.authenticate_cached(services.db, cache, key) is not None
    with writing(services.db) as conn:  # as the CLI or another API process would
        conn.execute(
            api_keys.update().where(api_keys.c.key_hash == identity.hash_key(key)).values(revoked_at=datetime.now(UTC))
        )
    now[0] += 4.9
    assert identity.authenticate_cached(services.db, cache, key) is not None  # within the bound
    now[0] += 0.2
    assert identity.authenticate_cached(services.db, cache, key) is None


def test_new_membership_drops_cached_principals(services: Services) -> None:
    cache = identity.PrincipalCache(ttl=60)
    key = identity.create_key(services.db, "org_a", "usr_a1")
    principal = identity.authenticate_cached(services.db, cache, key)
    assert principal is not None and principal.organization_ids == {"org_a"}
    identity.ensure_member(services.db, "org_b", "usr_a1")
    principal = identity.authenticate_cached(services.db, cache, key)
    assert principal is not None and principal.organization_ids == {"org_a", "org_b"}


def test_ttl_zero_never_caches(services: Services) -> None:
    cache = identity.PrincipalCache(ttl=0)
    key = identity.create_key(services.db, "org_a", "usr_a1")
    assert identity.authenticate_cached(services.db, cache, key) is not None
    assert cache.get(key)[1] is None
    with services.db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(api_keys)).scalar() == 1


def test_unknown_and_malformed_keys_are_not_cached(services: Services) -> None:
    cache = identity.PrincipalCache(ttl=60)
    assert identity.authenticate_cached(services.db, cache, "ak_" + "x" * 40) is None
    assert identity.authenticate_cached(services.db, cache, "nope") is None
    assert cache.get("ak_" + "x" * 40)[1] is None
