"""Compiled contract validation agrees with Connexion's validators on the contract's schemas."""

from __future__ import annotations

from typing import Any

import pytest
from connexion.exceptions import BadRequestProblem, ExtraParameterProblem, NonConformingResponseBody

from music_studio.http.compiled_validation import (
    CompiledJSONResponseBodyValidator,
    CompiledParameterValidator,
    _responses,
    oas30_to_draft4,
)

GENERATION: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "track"],
    "properties": {
        "id": {"type": "string", "pattern": "^mgen_[0-9a-f]{12,32}$"},
        "started_at": {"type": "string", "format": "date-time", "nullable": True},
        "nullable": {"type": "integer"},  # a property that happens to be named like the keyword
        "track": {"anyOf": [{"type": "object"}, {"nullable": True, "enum": [None]}]},
    },
}


def validate(schema: dict[str, Any], body: Any) -> None:
    CompiledJSONResponseBodyValidator({}, schema=schema, encoding="utf-8")._validate(body)


def test_nullable_becomes_a_type_list_and_property_names_are_left_alone() -> None:
    draft4 = oas30_to_draft4(GENERATION)
    assert draft4["properties"]["started_at"]["type"] == ["string", "null"]
    assert draft4["properties"]["nullable"] == {"type": "integer"}
    assert (
        "nullable" not in GENERATION["properties"]["started_at"] or GENERATION["properties"]["started_at"]["nullable"]
    )


@pytest.mark.parametrize(
    "body",
    [
        {"id": "mgen_0123456789ab", "track": None},
        {"id": "mgen_0123456789ab", "track": {}, "started_at": None, "nullable": 3},
        {"id": "mgen_0123456789ab", "track": None, "started_at": "2026-06-28T10:30:00Z"},
    ],
)
def test_conforming_bodies_pass(body: dict[str, Any]) -> None:
    validate(GENERATION, body)
    assert _responses.get(GENERATION) is not None  # compiled, not the fallback


@pytest.mark.parametrize(
    "body",
    [
        {"id": "mgen_XYZ", "track": None},
        {"id": "mgen_0123456789ab"},
        {"id": "mgen_0123456789ab", "track": None, "extra": 1},
        {"id": "mgen_0123456789ab", "track": 3},
        {"id": "mgen_0123456789ab", "track": None, "started_at": "yesterday"},
        {"id": "mgen_0123456789ab", "track": None, "nullable": None},
    ],
)
def test_nonconforming_bodies_are_refused(body: dict[str, Any]) -> None:
    with pytest.raises(NonConformingResponseBody):
        validate(GENERATION, body)


def test_write_only_schemas_fall_back_to_connexion() -> None:
    schema = {"type": "object", "properties": {"secret": {"type": "string", "writeOnly": True}}}
    assert _responses.get(schema) is None
    with pytest.raises(NonConformingResponseBody):
        validate(schema, {"secret": "x"})  # Connexion refuses writeOnly properties in responses


def test_parameters_keep_connexion_messages() -> None:
    param = {
        "name": "job_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": "^mgen_[0-9a-f]{12,32}$"},
    }
    assert CompiledParameterValidator.validate_parameter("path", "mgen_0123456789ab", param) is None
    error = CompiledParameterValidator.validate_parameter("path", "mgen_nope", param)
    assert error is not None and "does not match" in error
    assert CompiledParameterValidator.validate_parameter("path", None, param) == "Missing path parameter 'job_id'"


PATH_ONLY = [
    {
        "name": "organization_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": "^org_[a-z]+$"},
    },
    {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 8}},
]


def _scope(query: bytes = b"", **path: str) -> dict[str, object]:
    return {"type": "http", "path": "/", "query_string": query, "headers": [], "path_params": path}


def test_path_only_parameters_are_checked_without_the_uri_parser() -> None:
    validator = CompiledParameterValidator(PATH_ONLY, uri_parser=None, strict_validation=True)
    validator.validate(_scope(organization_id="org_a", job_id="mgen_1"))  # uri_parser=None: never consulted
    for bad in ({"organization_id": "org_A", "job_id": "x"}, {"organization_id": "org_a", "job_id": "x" * 9}, {}):
        with pytest.raises(BadRequestProblem):
            validator.validate(_scope(**bad))


def test_a_query_string_or_other_parameters_take_connexions_path() -> None:
    validator = CompiledParameterValidator(PATH_ONLY, uri_parser=None, strict_validation=True)
    with pytest.raises(ExtraParameterProblem):  # Connexion's own path, which refuses the unknown name
        validator.validate(_scope(b"x=1", organization_id="org_a", job_id="mgen_1"))
    with_query = [*PATH_ONLY, {"name": "limit", "in": "query", "schema": {"type": "integer"}}]
    assert CompiledParameterValidator(with_query, uri_parser=None)._path_only is None
