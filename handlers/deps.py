"""What handlers need from the request: the services and the caller as an owner."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread

from music_studio.errors import OrganizationAccessDenied
from music_studio.http.middleware import services_var
from music_studio.identity import Principal
from music_studio.jobs import Owner
from music_studio.services import Services

T = TypeVar("T")


async def read(svc: Services, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a short database read: inline on SQLite, in the thread pool on other databases.

    A SQLite read here is a local call of tens of microseconds that never waits for writers
    (WAL), cheaper than the hop to a worker thread; a server database is a network round trip
    that must not hold up the event loop.
    """
    if svc.settings.is_sqlite:
        return fn(*args, **kwargs)
    return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs))


def services() -> Services:
    """This app's Services, put in a context variable by RequestIdMiddleware from the lifespan state."""
    found = services_var.get()
    assert found is not None, "the app's lifespan did not run"
    return found


def owner(organization_id: str, token_info: dict[str, Any]) -> Owner:
    """The caller within the path's organisation; 403 when they are not a member."""
    principal: Principal = token_info["principal"]
    if organization_id not in principal.organization_ids:
        raise OrganizationAccessDenied(f"caller is not a member of {organization_id}")
    return Owner(organization_id=organization_id, user_id=principal.user_id)


JSON = {"Content-Type": "application/json"}
