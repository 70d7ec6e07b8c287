"""The only place that patches Connexion internals: per-request work Connexion 3.3.0 redoes.

Pinned to Connexion 3.3.0: `apply()` refuses (raises `RuntimeError`) on any other version, and
tests/unit/test_connexion_patches.py fails if an upgrade moves what is patched. On an upgrade,
re-read the three functions below in the new version; drop a patch if the version fixed it.

What Connexion 3.3.0 does on every request, and what is patched (measured in bench/http.py):

1. `connexion.utils.inspect_function_arguments(fn)` runs `inspect.signature()`: three times per
   request (twice from the security handler's `_accepts_kwarg`, once from the parameter
   decorator). Functions do not change signature, so the answer is cached per function.
2. `AsyncOperation.fn` is a property that builds a new `StarletteDecorator` on every request,
   and `ASGIDecorator.__call__`'s wrapper runs `self.decorate(function)` (building the
   parameter and response decorators) on every request. The decorated function depends only on
   the operation, so it is built once per operation. The request itself (`get_request`, URI
   parsing, parameters, response serialisation) still runs per request, unchanged.

Both caches are keyed by objects that live as long as the app (handler functions, operations).
"""

from __future__ import annotations

import functools
import importlib.metadata
import typing as t

import connexion.decorators.parameter
import connexion.middleware.main
import connexion.security
import connexion.utils
from connexion.apps.asynchronous import AsyncOperation
from connexion.context import receive, scope
from connexion.decorators.main import ASGIDecorator, StarletteDecorator

CONNEXION_VERSION = "3.3.0"
_INSPECT_USERS = (connexion.utils, connexion.security, connexion.decorators.parameter, connexion.middleware.main)
_applied = False


def _version() -> str:
    return importlib.metadata.version("connexion")


def apply() -> None:
    """Apply the patches once; raise RuntimeError on a Connexion other than 3.3.0."""
    global _applied
    if _applied:
        return
    found = _version()
    if found != CONNEXION_VERSION:
        raise RuntimeError(
            f"music_studio.http.connexion_patches is written for Connexion {CONNEXION_VERSION}, found {found}: "
            "re-check the patched internals (see the module docstring) before changing the pin"
        )
    original = connexion.utils.inspect_function_arguments
    cached = functools.lru_cache(maxsize=1024)(original)
    for module in _INSPECT_USERS:
        if getattr(module, "inspect_function_arguments", None) is not original:
            raise RuntimeError(f"{module.__name__}.inspect_function_arguments is not Connexion's: cannot patch")
        module.inspect_function_arguments = cached
    if not isinstance(AsyncOperation.__dict__.get("fn"), property):
        raise RuntimeError("connexion AsyncOperation.fn is no longer a property: cannot patch")
    AsyncOperation.fn = property(_operation_fn)
    ASGIDecorator.__call__ = _decorator_call
    _applied = True


def _operation_fn(self: AsyncOperation) -> t.Callable[..., t.Any]:
    """AsyncOperation.fn, built once per operation instead of once per request."""
    fn: t.Callable[..., t.Any] | None = self.__dict__.get("_music_studio_fn")
    if fn is None:
        decorator = StarletteDecorator(pythonic_params=self.pythonic_params, jsonifier=self.jsonifier)
        fn = self.__dict__["_music_studio_fn"] = decorator(self._fn)
    return fn


def _decorator_call(self: ASGIDecorator, function: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    """ASGIDecorator.__call__ with `self.decorate(function)` run on the first request only."""
    decorated: t.Callable[..., t.Any] | None = None

    @functools.wraps(function)
    async def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
        nonlocal decorated
        request = self.framework.get_request(uri_parser=self.uri_parser, scope=scope, receive=receive)
        if decorated is None:
            decorated = self.decorate(function)
        return await decorated(request)

    return wrapper
