"""X-API-Key → principal (Connexion x-apikeyInfoFunc)."""

from __future__ import annotations

from typing import Any

from handlers.deps import read, services
from music_studio.errors import AuthenticationRequired
from music_studio.identity import authenticate_cached
from music_studio.services import Services


async def api_key_info(apikey: str, required_scopes: Any = None) -> dict[str, Any]:
    svc: Services = services()
    principal = await read(svc, authenticate_cached, svc.db, svc.principals, apikey)
    if principal is None:
        raise AuthenticationRequired("Missing or invalid API key")
    return {"sub": principal.user_id, "principal": principal}
