"""Real processes: serve → create → poll → download → decode the MP3 and compare its duration."""

from __future__ import annotations

import io
import time
from pathlib import Path

import httpx
import pytest
import soundfile

from tests.databases import BACKENDS, fresh_database
from tests.servers import serve

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("backend", BACKENDS)
def test_prompt_to_playable_mp3(tmp_path: Path, backend: str) -> None:
    # The access log is off by default; this test checks that it never prints a signature.
    with (
        fresh_database(backend, tmp_path) as url,
        serve(
            tmp_path / "var",
            render_workers=1,
            extra_env={"MUSIC_STUDIO_DATABASE_URL": url, "MUSIC_STUDIO_ACCESS_LOG": "1"},
        ) as server,
        httpx.Client(timeout=60) as http,
    ):
        key = server.cli("keys", "create", "--org", "org_e2e", "--user", "usr_e2e")
        peer = server.cli("keys", "create", "--org", "org_e2e", "--user", "usr_peer")
        headers = {"X-API-Key": key}
        created = http.post(
            f"{server.base_url}/v1/music/org_e2e/generations",
            json={"engine": "studio", "prompt": "late night study lo-fi, mellow piano, 80 bpm", "duration_seconds": 30},
            headers=headers,
        )
        assert created.status_code == 202, created.text
        job_url = server.base_url + created.headers["location"]
        deadline = time.monotonic() + 120
        while True:
            job = http.get(job_url, headers=headers).json()
            if job["status"] not in ("queued", "running"):
                break
            assert time.monotonic() < deadline, job
            time.sleep(0.2)
        assert job["status"] == "succeeded", job
        assert job["track"]["measured_duration_seconds"] == 30.0

        media = http.get(job["playback_url"])
        assert media.status_code == 200
        assert media.headers["content-type"] == "audio/mpeg"
        decoded, rate = soundfile.read(io.BytesIO(media.content))
        assert rate == 44100 and decoded.shape[1] == 2
        assert abs(decoded.shape[0] / rate - 30.0) <= 0.001

        # One character changed in the signature: 403.
        sig_at = job["playback_url"].index("sig=") + 4
        url = job["playback_url"]
        tampered = url[:sig_at] + ("A" if url[sig_at] != "A" else "B") + url[sig_at + 1 :]
        assert http.get(tampered).status_code == 403
        # Another user of the same organisation: 404.
        assert http.get(job_url, headers={"X-API-Key": peer}).status_code == 404

    log = server.log.read_text()
    assert "sig=[redacted]" in log  # the media requests were logged ...
    assert url[sig_at:].split("&")[0] not in log  # ... but never their signatures
    assert key not in log and peer not in log
