"""Where masters live: a local directory (object storage can implement the same methods)."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from music_studio.errors import NotFound

_TRACK_ID = re.compile(r"^mtrack_[0-9a-f]{12,32}$")


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def path(self, track_id: str) -> Path:
        # Ids come from our own database, but a path is only ever built from a checked id.
        if not _TRACK_ID.match(track_id):
            raise ValueError("bad track id")
        return self.root / track_id[7:9] / f"{track_id}.mp3"

    def put(self, track_id: str, data: bytes) -> Path:
        """Write atomically: a temporary file renamed into place, so a crash leaves no half file."""
        final = self.path(track_id)
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=final.parent, prefix=".tmp-", suffix=".mp3")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, final)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return final

    def delete(self, track_id: str) -> None:
        self.path(track_id).unlink(missing_ok=True)

    def size(self, track_id: str) -> int:
        """Size of a master in bytes; NotFound if it is missing."""
        try:
            return self.path(track_id).stat().st_size
        except FileNotFoundError:
            raise NotFound("the master of this track is missing") from None

    def read(self, track_id: str, start: int, length: int) -> bytes:
        with self.path(track_id).open("rb") as handle:
            handle.seek(start)
            return handle.read(length)
