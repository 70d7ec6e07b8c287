"""Schemathesis CLI against a real `music-studio serve` on 127.0.0.1: every phase, every check."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.servers import BIN, serve

pytestmark = pytest.mark.contract

ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("schemathesis.toml")
# Each exclusion must be a proven false positive; the reason sits beside it.
EXCLUDED_CHECKS: dict[str, str] = {}


def _succeeded_job(base_url: str, key: str) -> tuple[str, str]:
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
    return job["id"], job["result_track_id"]


def test_schemathesis_all_phases_all_checks(tmp_path: Path) -> None:
    with serve(tmp_path / "var", render_workers=1) as server:
        alice = server.cli("keys", "create", "--org", "org_a", "--user", "usr_alice")
        bob = server.cli("keys", "create", "--org", "org_a", "--user", "usr_bob")
        server.cli("keys", "create", "--org", "org_b", "--user", "usr_carol")
        job_id, track_id = _succeeded_job(server.base_url, alice)
        auth = tmp_path / "auth.json"
        auth.write_text(
            json.dumps(
                {
                    "auth": [
                        {"name": "alice", "fixedHeaders": [{"name": "X-API-Key", "value": alice}]},
                        {"name": "bob", "fixedHeaders": [{"name": "X-API-Key", "value": bob}]},
                    ]
                }
            )
        )
        command = [
            str(BIN / "schemathesis"),
            "--config-file",
            str(CONFIG),
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
            env={
                **server.env,
                "MUSIC_STUDIO_WFC_AUTH": str(auth),
                "ST_JOB_ID": job_id,
                "ST_TRACK_ID": track_id,
                "NO_COLOR": "1",
            },
            capture_output=True,
            text=True,
            timeout=900,
            cwd=tmp_path,
        )
    output = result.stdout + result.stderr
    summary = [line for line in output.splitlines() if re.search(r"\d+ (generated|passed)", line)]
    print("\n".join(summary[-3:]))
    assert result.returncode == 0, output[-20000:]
