"""POST → succeeded wall time through a real `music-studio serve` (1 worker), per duration and mode.

Usage: .venv/bin/python -m bench.job_latency [DURATION ...]   (default: 30 120 300)
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tests.servers import serve

PROMPT = "late night study lo-fi, mellow piano, 80 bpm"


def time_job(base_url: str, headers: dict[str, str], duration: int, mode: str) -> tuple[float, float]:
    """(seconds from POST to a succeeded GET, measured duration of the track)."""
    started = time.perf_counter()
    created = httpx.post(
        f"{base_url}/v1/music/org_bench/generations",
        json={"engine": "studio", "prompt": PROMPT, "duration_seconds": duration, "mode": mode},
        headers=headers,
    )
    created.raise_for_status()
    url = base_url + created.headers["location"]
    while True:
        job = httpx.get(url, headers=headers).json()
        if job["status"] == "succeeded":
            return time.perf_counter() - started, job["track"]["measured_duration_seconds"]
        if job["status"] not in ("queued", "running"):
            raise RuntimeError(job)
        time.sleep(0.05)


def main() -> None:
    durations = [int(arg) for arg in sys.argv[1:]] or [30, 120, 300]
    with tempfile.TemporaryDirectory() as tmp, serve(Path(tmp) / "var", render_workers=1) as server:
        key = server.cli("keys", "create", "--org", "org_bench", "--user", "usr_bench")
        headers = {"X-API-Key": key}
        time_job(server.base_url, headers, 5, "creation")  # warm the worker (imports, caches)
        print(f"{'mode':<9} {'duration':>8} {'POST→succeeded (median of 3)':>30} {'x real time':>12} {'measured':>9}")
        for mode in ("creation", "focus"):
            for duration in durations:
                runs = [time_job(server.base_url, headers, duration, mode) for _ in range(3)]
                wall = statistics.median(run[0] for run in runs)
                print(f"{mode:<9} {duration:>7}s {wall:>29.2f}s {duration / wall:>11.1f}x {runs[0][1]:>8.3f}s")


if __name__ == "__main__":
    main()
