"""Small helpers the polling route relies on behave like what they replaced."""

from __future__ import annotations

import gc
from datetime import UTC, datetime

import pytest
from connexion.exceptions import BadRequestProblem, ExtraParameterProblem
from starlette.testclient import TestClient

from music_studio.db.connection import load_json
from music_studio.http.compiled_validation import CompiledParameterValidator
from music_studio.representations import timestamp


def test_json_columns_read_like_json_loads() -> None:
    assert load_json('{"plan": {"bpm": 80}, "segments": [1.5]}') == {"plan": {"bpm": 80}, "segments": [1.5]}
    assert load_json(b"null") is None
    nan = load_json('{"x": NaN}')["x"]  # written by json.dumps, refused by orjson
    assert nan != nan


@pytest.mark.parametrize(
    "value", [datetime(2026, 11, 1, 9, 0, 0, 999999, tzinfo=UTC), datetime(2026, 1, 31, 23, 59, 59, tzinfo=UTC)]
)
def test_timestamps_are_rfc3339_seconds(value: datetime) -> None:
    assert timestamp(value) == value.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert timestamp(None) is None


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


def test_the_start_up_heap_is_frozen(client: TestClient) -> None:
    assert gc.get_freeze_count() > 0
