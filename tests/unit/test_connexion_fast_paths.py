"""connexion_patches' fast paths answer exactly as Connexion's own code does.

A small contract served twice in the same process, once with the fast paths and once with them
switched off (Connexion's parameter and response decorators, its security chain): the handler
must receive the same arguments and the client the same response, for operations and requests
that qualify and ones that do not.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import connexion
import pytest
from connexion.exceptions import OAuthScopeProblem
from connexion.middleware.security import SecurityMiddleware, SecurityOperation
from starlette.testclient import TestClient

from music_studio.http import connexion_patches
from tests.connexion_stack import middleware, operations

SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "t", "version": "1"},
    "security": [{"key": []}],
    "components": {
        "securitySchemes": {
            "key": {
                "type": "apiKey",
                "in": "header",
                "name": "X-Key",
                "x-apikeyInfoFunc": "tests.unit.test_connexion_fast_paths.key_info",
            }
        },
        "schemas": {
            "Thing": {"type": "object", "properties": {"id": {"type": "string"}, "n": {"type": "integer"}}},
        },
    },
    "paths": {
        "/things/{thing_id}": {
            "parameters": [{"name": "thing_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "get": {
                "operationId": "tests.unit.test_connexion_fast_paths.get_thing",
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}},
                    },
                    "404": {
                        "description": "no",
                        "content": {"application/problem+json": {"schema": {"type": "object"}}},
                    },
                },
            },
        },
        "/things/{thing_id}/{n}": {
            "parameters": [
                {"name": "thing_id", "in": "path", "required": True, "schema": {"type": "string"}},
                {"name": "n", "in": "path", "required": True, "schema": {"type": "integer"}},
            ],
            "get": {
                "operationId": "tests.unit.test_connexion_fast_paths.get_numbered",
                "responses": {
                    "200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}
                },
            },
        },
    },
}

CALLS: list[tuple[str, dict[str, Any]]] = []


async def key_info(apikey: str, required_scopes: Any = None) -> dict[str, Any] | None:
    if apikey == "forbidden":
        raise OAuthScopeProblem(token_scopes=["a"], required_scopes=["b"])
    if apikey == "uid":
        return {"uid": "usr_2"}
    return {"sub": "usr_1", "scope": "x"} if apikey == "good" else None


async def get_thing(thing_id: str, token_info: dict[str, Any], user: str) -> Any:
    CALLS.append(("get_thing", {"thing_id": thing_id, "token_info": token_info, "user": user}))
    if thing_id == "missing":
        return {"title": "no"}, 404, {"Content-Type": "application/problem+json"}
    if thing_id == "bare":
        return {"id": thing_id}  # no status or headers: the response decorator infers them
    return {"id": thing_id, "n": 1}, 200, {"Content-Type": "application/json", "X-Extra": "1"}


async def get_numbered(thing_id: str, n: int, **kwargs: Any) -> Any:
    CALLS.append(("get_numbered", {"thing_id": thing_id, "n": n, **kwargs}))
    return {"n": n}, 200, {"Content-Type": "application/json"}


def _app() -> connexion.AsyncApp:
    connexion_patches.apply()
    app = connexion.AsyncApp(__name__)
    app.add_api(SPEC, strict_validation=True, validate_responses=True, swagger_ui_options=None)
    return app


@pytest.fixture
def both() -> Iterator[tuple[TestClient, TestClient]]:
    with TestClient(_app()) as fast, TestClient(_app()) as stock:
        operations = _operations(stock.app)  # built by the lifespan start-up
        assert operations
        for operation in operations.values():  # decided before any request: Connexion's decorators
            operation.__dict__["_music_studio_direct"] = None
        for operation in _security_operations(stock.app).values():  # and Connexion's security chain
            operation.__dict__["_music_studio_check"] = None
        yield fast, stock


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/things/abc", 200),
        ("/things/missing", 404),
        ("/things/bare", 500),  # Connexion cannot pick between two content types: the same 500 both ways
        ("/things/abc/7", 200),
        ("/things/abc%20def", 200),
        ("/things/abc?x=1", 400),
    ],
)
def test_direct_call_binds_and_answers_like_connexion(
    both: tuple[TestClient, TestClient], path: str, status: int
) -> None:
    answers = []
    for client in both:
        CALLS.clear()
        response = client.get(path, headers={"X-Key": "good"})
        answers.append((response.status_code, response.content, _headers(response), list(CALLS)))
    assert answers[0] == answers[1]
    assert answers[0][0] == status, answers[0]
    if answers[0][3] and answers[0][3][0][0] == "get_thing":  # the direct client really bound it directly
        direct = _operations(both[0].app)["tests.unit.test_connexion_fast_paths.get_thing"]
        assert isinstance(direct.__dict__.get("_music_studio_direct"), connexion_patches._DirectCall)


def test_unauthenticated_requests_never_reach_the_handler(both: tuple[TestClient, TestClient]) -> None:
    for client in both:
        CALLS.clear()
        assert client.get("/things/abc", headers={"X-Key": "bad"}).status_code == 401
        assert CALLS == []


def test_only_string_path_operations_are_bound_directly(both: tuple[TestClient, TestClient]) -> None:
    direct, _stock = both
    direct.get("/things/abc", headers={"X-Key": "good"})
    direct.get("/things/abc/7", headers={"X-Key": "good"})
    bound = {
        name: isinstance(operation.__dict__.get("_music_studio_direct"), connexion_patches._DirectCall)
        for name, operation in _operations(direct.app).items()
    }
    assert bound == {
        "tests.unit.test_connexion_fast_paths.get_thing": True,
        "tests.unit.test_connexion_fast_paths.get_numbered": False,  # an integer path parameter is coerced
    }


def _headers(response: Any) -> list[tuple[str, str]]:
    return sorted((k, v) for k, v in response.headers.items() if k not in ("date",))


def _operations(app: Any) -> dict[str, Any]:
    return operations(app._middleware_app)


def _security_operations(app: Any) -> dict[str, SecurityOperation]:
    return operations(middleware(app, SecurityMiddleware))


@pytest.mark.parametrize("headers", [{}, {"X-Key": "bad"}, {"X-Key": "forbidden"}, {"X-Key": "uid"}, {"x-key": "good"}])
def test_security_answers_like_connexions_chain(both: tuple[TestClient, TestClient], headers: dict[str, str]) -> None:
    answers = []
    for client in both:
        CALLS.clear()
        response = client.get("/things/abc", headers=headers)
        answers.append((response.status_code, response.content, _headers(response), list(CALLS)))
    assert answers[0] == answers[1]
    checked = _security_operations(both[0].app)["tests.unit.test_connexion_fast_paths.get_thing"]
    assert checked.__dict__["_music_studio_check"] is not None  # the fast client checked the key directly
