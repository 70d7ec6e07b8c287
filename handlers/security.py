"""X-API-Key → principal (Connexion x-apikeyInfoFunc)."""

from __future__ import annotations

from typing import Any

from connexion.lifecycle import ConnexionRequest

from music_studio.errors import AuthenticationRequired
from music_studio.identity import authenticate


def api_key_info(apikey: str, required_scopes: Any = None, request: ConnexionRequest | None = None) -> dict[str, Any]:
    assert request is not None
    principal = authenticate(request.state.services.db, apikey)
    if principal is None:
        raise AuthenticationRequired("Missing or invalid API key")
    return {"sub": principal.user_id, "principal": principal}
