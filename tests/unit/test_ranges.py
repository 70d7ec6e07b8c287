from __future__ import annotations

import pytest

from music_studio import ranges
from music_studio.errors import RangeNotSatisfiable


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-9", (0, 9)),
        ("bytes=5-", (5, 99)),
        ("bytes=-10", (90, 99)),
        ("bytes=-500", (0, 99)),
        ("bytes=90-500", (90, 99)),
        ("bytes=0-1,4-5", None),
        ("items=0-1", None),
        ("bytes=9-1", None),
        ("bytes=-", None),
    ],
)
def test_parse(header: str | None, expected: tuple[int, int] | None) -> None:
    assert ranges.parse(header, 100) == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=200-300", "bytes=-0"])
def test_unsatisfiable(header: str) -> None:
    with pytest.raises(RangeNotSatisfiable) as caught:
        ranges.parse(header, 100)
    assert caught.value.headers["Content-Range"] == "bytes */100"
