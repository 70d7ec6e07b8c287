"""What a running API process holds: settings, database, signer, storage."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from music_studio.db.connection import create_engine
from music_studio.identity import PrincipalCache
from music_studio.settings import Settings
from music_studio.signing import Signer, load_or_create_keys
from music_studio.storage import LocalStorage


@dataclass(frozen=True)
class Services:
    settings: Settings
    db: sa.Engine
    signer: Signer
    storage: LocalStorage
    principals: PrincipalCache = field(default_factory=lambda: PrincipalCache(0))
    """Recently authenticated keys (MUSIC_STUDIO_KEY_CACHE_SECONDS); off unless from_settings."""

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        keys = load_or_create_keys(settings.signing_keys, settings.data_dir)
        return cls(
            settings=settings,
            db=create_engine(settings.database_url),
            signer=Signer(keys, ttl_seconds=settings.url_ttl_seconds, base_url=settings.base_url),
            storage=LocalStorage(settings.media_dir),
            principals=PrincipalCache(settings.key_cache_seconds),
        )
