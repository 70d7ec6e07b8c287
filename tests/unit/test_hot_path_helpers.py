"""Small helpers the polling route relies on behave like what they replaced."""

from __future__ import annotations

import gc
from datetime import UTC, datetime

import pytest
from starlette.testclient import TestClient

from music_studio.db.connection import load_json
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


def test_the_start_up_heap_is_frozen(client: TestClient) -> None:
    assert gc.get_freeze_count() > 0
