"""Media tag: signed, API-key-free access to masters, with HEAD and single byte ranges."""

from __future__ import annotations

import time

from connexion import request
from starlette.responses import Response

from handlers.deps import services
from music_studio import ranges, tracks
from music_studio.signing import Signer


def get_media(track_id: str, exp: int, kid: str, sig: str) -> Response:
    """Stream the master (or a byte range of it) for a URL with a valid signature."""
    svc = services()
    svc.signer.verify(request.method, Signer.media_path(track_id), exp, kid, sig)
    tracks.get_for_media(svc.db, track_id)
    selection = ranges.select(request.headers.get("range"), svc.storage.size(track_id))
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": f'"{track_id}"',
        # Browsers may cache the bytes, but never past the URL's own expiry.
        "Cache-Control": f"private, max-age={max(0, exp - int(time.time()))}",
        "Content-Length": str(selection.length),
    }
    if selection.partial:
        headers["Content-Range"] = selection.content_range
    status = 206 if selection.partial else 200
    body = b"" if request.method == "HEAD" else svc.storage.read(track_id, selection.start, selection.length)
    return Response(body, status_code=status, headers=headers, media_type="audio/mpeg")


head_media = get_media
