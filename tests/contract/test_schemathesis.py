"""Schemathesis CLI against a real `music-studio serve` on 127.0.0.1: every phase, every check."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.databases import BACKENDS, fresh_database
from tests.servers import BIN, serve

pytestmark = pytest.mark.contract

ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("schemathesis.toml")
# Each exclusion must be a proven false positive; the reason sits beside it.
EXCLUDED_CHECKS: dict[str, str] = {}


def _succeeded_job(base_url: str, key: str) -> dict[str, Any]:
    """A real job and track of alice's, fed to Schemathesis so requests reach real data."""
    headers = {"X-API-Key": key}
    created = httpx.post(
        f"{base_url}/v1/music/org_a/generations",
        json={"engine": "studio", "prompt": "seed track for fuzzing", "duration_seconds": 2},
        headers=headers,
        timeout=60,
    ).json()
    deadline = time.monotonic() + 60
    while (
        job := httpx.get(f"{base_url}/v1/music/org_a/generations/{created['id']}", headers=headers, timeout=60).json()
    )["status"] != "succeeded":
        assert time.monotonic() < deadline and job["status"] in ("queued", "running"), job
        time.sleep(0.1)
    return job


@pytest.mark.parametrize("backend", BACKENDS)
def test_schemathesis_all_phases_all_checks(tmp_path: Path, backend: str) -> None:
    # Limits far above what one fuzzing run sends (the 429 path is tested in test_ratelimit.py);
    # URLs outlive the run so the signed media parameters stay valid.
    extra_env = {
        "MUSIC_STUDIO_RATE_LIMIT_READS_BURST": "1000000",
        "MUSIC_STUDIO_RATE_LIMIT_CREATES_BURST": "1000000",
        "MUSIC_STUDIO_RATE_LIMIT_MEDIA_BURST": "1000000",
        "MUSIC_STUDIO_URL_TTL_SECONDS": "3600",
    }
    with (
        fresh_database(backend, tmp_path) as url,
        serve(tmp_path / "var", render_workers=1, extra_env={**extra_env, "MUSIC_STUDIO_DATABASE_URL": url}) as server,
    ):
        alice = server.cli("keys", "create", "--org", "org_a", "--user", "usr_alice")
        bob = server.cli("keys", "create", "--org", "org_a", "--user", "usr_bob")
        carol = server.cli("keys", "create", "--org", "org_b", "--user", "usr_carol")
        job = _succeeded_job(server.base_url, alice)
        media = {k: v[0] for k, v in parse_qs(urlsplit(job["playback_url"]).query).items()}
        auth = tmp_path / "auth.json"
        auth.write_text(
            json.dumps(
                {
                    "auth": [
                        {"name": "alice", "fixedHeaders": [{"name": "X-API-Key", "value": alice}]},
                        {"name": "bob", "fixedHeaders": [{"name": "X-API-Key", "value": bob}]},
                        {"name": "carol", "fixedHeaders": [{"name": "X-API-Key", "value": carol}]},
                    ]
                }
            )
        )
        # Schemathesis 4.32.5 does not expand ${VAR} inside [dictionaries] (the values arrive
        # literally, so they never match their patterns): fill the placeholders in here.
        config = tmp_path / "schemathesis.toml"
        config.write_text(
            Template(CONFIG.read_text()).substitute(
                MUSIC_STUDIO_WFC_AUTH=str(auth),
                ST_JOB_ID=job["id"],
                ST_TRACK_ID=job["result_track_id"],
                ST_MEDIA_EXP=media["exp"],
                ST_MEDIA_KID=media["kid"],
                ST_MEDIA_SIG=media["sig"],
            )
        )
        command = [
            str(BIN / "schemathesis"),
            "--config-file",
            str(config),
            "run",
            str(ROOT / "openapi.yaml"),
            "--url",
            server.base_url,
            "--report",
            "junit",
            "--report-junit-path",
            str(tmp_path / "schemathesis-junit.xml"),
        ]
        if EXCLUDED_CHECKS:
            command += ["--exclude-checks", ",".join(EXCLUDED_CHECKS)]
        result = subprocess.run(
            command,
            env={**server.env, "NO_COLOR": "1"},
            capture_output=True,
            text=True,
            timeout=600,  # the whole run, all phases, stays within 10 minutes
            cwd=tmp_path,
        )
    output = result.stdout + result.stderr
    summary = [line for line in output.splitlines() if re.search(r"\d+ (generated|passed)", line)]
    print("\n".join(summary[-3:]))
    (ROOT / "reports").mkdir(exist_ok=True)
    (ROOT / "reports" / f"schemathesis-output-{backend}.txt").write_text(output)
    assert result.returncode == 0, output[-20000:]
