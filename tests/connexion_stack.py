"""Where a built Connexion app keeps its middlewares and per-operation objects (tests and bench/)."""

from __future__ import annotations

from typing import Any


def middleware(app: Any, kind: type) -> Any:
    """The one middleware of this kind in the app's stack (built by the lifespan start-up)."""
    (found,) = [m for m in app.middleware.middleware_stack if isinstance(m, kind)]
    return found


def operations(routed: Any) -> dict[str, Any]:
    """A routed middleware's per-operation objects by operation id; the app's own with app._middleware_app."""
    return {name: op for apis in routed.apis.values() for api in apis for name, op in api.operations.items()}
