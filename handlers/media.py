"""Media tag: signed, API-key-free access to masters, with HEAD and single byte ranges."""

from __future__ import annotations

import time

from connexion import request
from starlette.responses import Response

from handlers.deps import services
from music_studio import ranges, tracks
from music_studio.errors import NotFound
from music_studio.signing import Signer


def get_media(track_id: str, exp: int, kid: str, sig: str) -> Response:
    """Stream the master (or a byte range of it) for a URL with a valid signature."""
    svc = services()
    svc.signer.verify(request.method, Signer.media_path(track_id), exp, kid, sig)
    tracks.get_for_media(svc.db, track_id)
    path = svc.storage.path(track_id)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise NotFound(f"master for {track_id} is missing") from None
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": f'"{track_id}"',
        # Browsers may cache the bytes, but never past the URL's own expiry.
        "Cache-Control": f"private, max-age={max(0, exp - int(time.time()))}",
    }
    wanted = ranges.parse(request.headers.get("range"), size)
    start, end = wanted if wanted else (0, size - 1)
    length = end - start + 1
    headers["Content-Length"] = str(length)
    status = 200
    if wanted:
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    if request.method == "HEAD":
        return Response(b"", status_code=status, headers=headers, media_type="audio/mpeg")
    with path.open("rb") as handle:
        handle.seek(start)
        data = handle.read(length)
    return Response(data, status_code=status, headers=headers, media_type="audio/mpeg")


head_media = get_media
