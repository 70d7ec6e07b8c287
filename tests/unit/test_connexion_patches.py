"""The Connexion patches apply only to the pinned version, and what they patch is still there."""

from __future__ import annotations

import importlib.metadata

import connexion.decorators.parameter
import connexion.middleware.main
import connexion.security
import connexion.utils
import pytest
from connexion.apps.asynchronous import AsyncOperation
from connexion.decorators.main import ASGIDecorator
from connexion.middleware.request_validation import RequestValidationOperation
from connexion.middleware.response_validation import ResponseValidationOperation

from music_studio.http import connexion_patches


def test_connexion_is_the_pinned_version() -> None:
    # Fails on an upgrade: re-read the patched internals (module docstring), then move the pin.
    assert importlib.metadata.version("connexion") == connexion_patches.CONNEXION_VERSION


def test_refuses_another_connexion_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connexion_patches, "_applied", False)
    monkeypatch.setattr(connexion_patches, "_version", lambda: "3.4.0")
    with pytest.raises(RuntimeError, match="written for Connexion 3.3.0, found 3.4.0"):
        connexion_patches.apply()


def test_patches_are_in_place_after_apply() -> None:
    connexion_patches.apply()
    connexion_patches.apply()  # idempotent
    cached = connexion.utils.inspect_function_arguments
    assert hasattr(cached, "cache_info")
    for module in (connexion.security, connexion.decorators.parameter, connexion.middleware.main):
        assert module.inspect_function_arguments is cached  # type: ignore[attr-defined]
    assert AsyncOperation.fn.fget is connexion_patches._operation_fn  # type: ignore[attr-defined]
    assert ASGIDecorator.__call__ is connexion_patches._decorator_call
    assert RequestValidationOperation.__call__ is connexion_patches._request_validation_call
    assert hasattr(connexion.decorators.parameter.sanitized, "cache_info")
    assert connexion.decorators.parameter.pythonic("organizationId[x]") == "organization_id_x"
    assert connexion.decorators.parameter.sanitized("job-id[0]") == "jobid_0"
    assert ResponseValidationOperation.__call__ is connexion_patches._response_validation_call


def test_replaced_methods_still_have_the_shape_they_were_copied_from() -> None:
    # _request_validation_call / _response_validation_call are 3.3.0's methods with caches added:
    # they rely on these helpers keeping their 3.3.0 signatures.
    import inspect

    assert list(inspect.signature(RequestValidationOperation.extract_content_type).parameters) == ["self", "headers"]
    assert list(inspect.signature(RequestValidationOperation.validate_mime_type).parameters) == ["self", "mime_type"]
    assert list(inspect.signature(ResponseValidationOperation.extract_content_type).parameters) == ["self", "headers"]
    assert isinstance(RequestValidationOperation.security_query_params, property)


def test_inspect_cache_answers_like_connexion() -> None:
    connexion_patches.apply()

    def handler(organization_id: str, job_id: str, **kwargs: object) -> None: ...

    assert connexion.utils.inspect_function_arguments(handler) == (["organization_id", "job_id"], True)


def test_operation_is_decorated_once() -> None:
    connexion_patches.apply()

    async def handler() -> dict[str, str]:
        return {}

    operation = AsyncOperation(
        handler, jsonifier=connexion.jsonifier.Jsonifier(), operation_id="x", pythonic_params=False
    )
    assert operation.fn is operation.fn
