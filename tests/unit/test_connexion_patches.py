"""The Connexion patches apply only to the pinned version, and what they patch is still there."""

from __future__ import annotations

import importlib.metadata
from typing import Any

import connexion.decorators.parameter
import connexion.middleware.main
import connexion.security
import connexion.utils
import pytest
from connexion.apps.asynchronous import AsyncOperation
from connexion.decorators.main import ASGIDecorator
from connexion.middleware.request_validation import RequestValidationMiddleware, RequestValidationOperation
from connexion.middleware.response_validation import ResponseValidationOperation
from connexion.middleware.security import SecurityMiddleware, SecurityOperation
from connexion.middleware.swagger_ui import SwaggerUIMiddleware
from starlette.testclient import TestClient

from music_studio.http import connexion_patches
from music_studio.services import Services
from tests.conftest import client_with
from tests.connexion_stack import middleware, operations


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


def test_later_patches_are_in_place_after_apply() -> None:
    connexion_patches.apply()
    assert AsyncOperation.__call__ is connexion_patches._operation_call
    assert connexion.utils.extract_content_type is connexion_patches._extract_content_type
    assert SwaggerUIMiddleware.__call__ is connexion_patches._swagger_ui_call
    assert SecurityOperation.__call__ is connexion_patches._security_call


@pytest.mark.parametrize(
    "headers",
    [
        [(b"content-type", b"application/json; charset=utf-8")],
        [(b"x-other", b"1"), (b"Content-Type", b"text/plain"), (b"content-type", b"application/json")],
        [(b"x-other", b"1")],
        [],
        {"Content-Type": "application/problem+json"},
        {"content-type": "application/json", "X": "y"},
        {"X": "y"},
    ],
)
def test_extract_content_type_answers_like_connexion(headers: object) -> None:
    ours = connexion_patches._extract_content_type(headers)
    assert ours == connexion_patches._EXTRACT_CONTENT_TYPE(headers)


def _swagger_middleware(client: TestClient) -> SwaggerUIMiddleware:
    found: SwaggerUIMiddleware = middleware(client.app, SwaggerUIMiddleware)
    return found


SWAGGER_PATHS = [
    "/v1/openapi.json",
    "/v1/openapi.json/",
    "/v1/openapi.yaml",
    "/v1/ui",
    "/v1/ui/",
    "/v1/ui/index.html",
    "/v1/ui/swagger-ui.css",
    "/v1/ui/nothing-here.js",
    "/v1/uix",
    "/healthz",
    "/healthz/",
    "/v1/music/org_a/engines",
    "/nowhere",
]


def test_swagger_ui_skip_knows_its_routes(client: TestClient) -> None:
    client.get("/healthz")
    middleware = _swagger_middleware(client)
    paths = middleware.__dict__["_music_studio_paths"]
    assert paths is not None, "Swagger UI routes gained parameters: the skip is off"
    assert {"/v1/openapi.json", "/v1/openapi.yaml", "/v1/ui", "/v1/ui/"} <= paths.exact
    assert paths.prefixes == ("/v1/ui",)
    assert not paths.may_match("/v1/music/org_a/generations/mgen_0123456789ab")


def test_swagger_ui_answers_as_without_the_skip(services: Services) -> None:
    answers = []
    for skip in (True, False):
        with client_with(services) as client:
            client.get("/healthz")
            if not skip:
                _swagger_middleware(client).__dict__["_music_studio_paths"] = None  # Connexion's routing
            answers.append(
                [
                    (path, r.status_code, r.headers.get("location"), r.headers.get("content-type"), len(r.content))
                    for path in SWAGGER_PATHS
                    for r in [client.get(path, follow_redirects=False)]
                ]
            )
    assert answers[0] == answers[1]
    statuses = {path: status for path, status, *_ in answers[0]}
    assert statuses["/v1/ui/"] == 200 and statuses["/v1/ui/swagger-ui.css"] == 200
    assert statuses["/v1/openapi.yaml"] == 200 and statuses["/v1/ui"] in (301, 302, 307, 308)


def test_the_polling_route_takes_every_fast_path(client: TestClient, make_caller: Any) -> None:
    # If a contract or Connexion change disqualifies GET job, the speed-ups go quietly: fail instead.
    caller = make_caller("org_a", "usr_a1")
    response = client.get(f"/v1/music/{caller.org}/generations/mgen_0123456789ab", headers=caller.headers)
    assert response.status_code == 404
    operation_id = "handlers.generations.get_generation"

    def operation(routed: Any) -> Any:
        return operations(routed)[operation_id]

    security = middleware(client.app, SecurityMiddleware)
    validation = middleware(client.app, RequestValidationMiddleware)
    asgi_app = client.app._middleware_app  # type: ignore[attr-defined]

    assert operation(security).__dict__["_music_studio_check"] is not None
    assert operation(validation).__dict__["_music_studio_validators"][1]._path_only is not None
    assert isinstance(operation(asgi_app).__dict__["_music_studio_direct"], connexion_patches._DirectCall)
    assert _swagger_middleware(client).__dict__["_music_studio_paths"] is not None
