"""Single HTTP byte ranges (RFC 9110 §14): parse a Range header against a resource size."""

from __future__ import annotations

import re
from dataclasses import dataclass

from music_studio.errors import RangeNotSatisfiable

_SINGLE = re.compile(r"^bytes=(\d*)-(\d*)$")


def parse(header: str | None, size: int) -> tuple[int, int] | None:
    """(start, end inclusive) for a satisfiable single range; None means "send everything".

    Multiple ranges and malformed headers are ignored (a full 200 is always allowed);
    a well-formed range outside the resource raises RangeNotSatisfiable.
    """
    if not header:
        return None
    match = _SINGLE.match(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise _unsatisfiable(size)
        return max(size - suffix, 0), size - 1
    start = int(first)
    if start >= size:
        raise _unsatisfiable(size)
    end = int(last) if last else size - 1
    if end < start:
        return None
    return start, min(end, size - 1)


@dataclass(frozen=True)
class Selection:
    """The bytes to send: all of them, or one satisfiable range."""

    start: int
    end: int
    size: int
    partial: bool

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    @property
    def content_range(self) -> str:
        return f"bytes {self.start}-{self.end}/{self.size}"


def select(header: str | None, size: int) -> Selection:
    """What to send for a Range header (see parse); raises RangeNotSatisfiable."""
    wanted = parse(header, size)
    if wanted is None:
        return Selection(0, size - 1, size, partial=False)
    return Selection(wanted[0], wanted[1], size, partial=True)


def _unsatisfiable(size: int) -> RangeNotSatisfiable:
    return RangeNotSatisfiable(
        f"range outside 0-{size - 1}", headers={"Content-Range": f"bytes */{size}"}, details={"size": size}
    )
