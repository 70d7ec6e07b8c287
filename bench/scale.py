"""Scale-out benchmark: completed jobs per minute with 1, 2 and 3 worker processes, queue wait
when workers are idle (wake-up latency), and GET job latency while the workers render.

Usage: MUSIC_STUDIO_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1/test \\
       .venv/bin/python -m bench.scale [--jobs 60] [--duration 10]
Runs on PostgreSQL when that variable is set (LISTEN/NOTIFY wake-up), and on SQLite (polling) too.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import httpx
import sqlalchemy as sa

from music_studio.db.tables import jobs
from tests.databases import POSTGRES_URL, fresh_database
from tests.servers import BIN, serve


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def wait_all(db: sa.Engine, ids: list[str], timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with db.connect() as conn:
            active = conn.execute(
                sa.select(sa.func.count()).where(jobs.c.id.in_(ids), jobs.c.status.in_(["queued", "running"]))
            ).scalar()
        if not active:
            return
        if time.monotonic() > deadline:
            raise RuntimeError("jobs did not finish")
        time.sleep(0.05)


def run(backend: str, workers: int, n_jobs: int, duration: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp, fresh_database(backend, Path(tmp)) as url:
        env = {"MUSIC_STUDIO_DATABASE_URL": url, "MUSIC_STUDIO_RATE_LIMITS": "0"}
        with serve(Path(tmp) / "var", render_workers=0, extra_env=env) as api, httpx.Client(timeout=60) as http:
            key = api.cli("keys", "create", "--org", "org_bench", "--user", "usr_bench")
            headers = {"X-API-Key": key}
            log = Path(tmp) / "workers.log"
            log.touch()
            procs = [
                subprocess.Popen([str(BIN / "music-studio"), "worker"], env=api.env, stderr=log.open("ab"))
                for _ in range(workers)
            ]
            db = sa.create_engine(url)
            base = f"{api.base_url}/v1/music/org_bench/generations"
            body = {"engine": "studio", "prompt": "lo-fi piano 80 bpm", "duration_seconds": duration}
            try:
                # Wake-up is measured from idle workers, not from workers still importing numpy.
                deadline = time.monotonic() + 120
                while log.read_text().count(" started (") < workers and time.monotonic() < deadline:
                    time.sleep(0.1)
                time.sleep(0.5)
                # Idle wake-up: one job at a time, workers idle in between.
                waits = []
                for _ in range(10):
                    job_id = http.post(base, json={**body, "duration_seconds": 1}, headers=headers).json()["id"]
                    wait_all(db, [job_id])
                    with db.connect() as conn:
                        row = conn.execute(
                            sa.select(jobs.c.created_at, jobs.c.started_at).where(jobs.c.id == job_id)
                        ).one()
                    waits.append((row.started_at - row.created_at).total_seconds() * 1000)
                    time.sleep(0.3)
                # Throughput with a backlog, while a poller measures GET latency.
                started = time.perf_counter()
                ids = [http.post(base, json=body, headers=headers).json()["id"] for _ in range(n_jobs)]
                latencies: list[float] = []
                stop = threading.Event()

                def poll() -> None:
                    with httpx.Client(timeout=60) as client:
                        while not stop.is_set():
                            t0 = time.perf_counter()
                            client.get(f"{base}/{ids[0]}", headers=headers).raise_for_status()
                            latencies.append((time.perf_counter() - t0) * 1000)
                            time.sleep(0.01)

                poller = threading.Thread(target=poll)
                poller.start()
                wait_all(db, ids)
                elapsed = time.perf_counter() - started
                stop.set()
                poller.join()
            finally:
                for proc in procs:
                    proc.send_signal(signal.SIGTERM)
                for proc in procs:
                    proc.wait(timeout=60)
                db.dispose()
    return {
        "jobs_per_min": n_jobs / elapsed * 60,
        "audio_x_realtime": n_jobs * duration / elapsed,
        "wake_p50": statistics.median(waits),
        "wake_p99": percentile(waits, 0.99),
        "get_p50": statistics.median(latencies),
        "get_p99": percentile(latencies, 0.99),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=60)
    parser.add_argument("--duration", type=int, default=10)
    args = parser.parse_args()
    backends = (["postgresql"] if POSTGRES_URL else []) + ["sqlite"]
    print(f"{args.jobs} jobs of {args.duration} s each per row; wake-up = started_at - created_at of a lone job")
    print(
        f"{'backend':<11}{'workers':>8}{'jobs/min':>10}{'audio s/s':>11}"
        f"{'wake p50 ms':>13}{'wake p99 ms':>13}{'GET p50 ms':>12}{'GET p99 ms':>12}"
    )
    for backend in backends:
        for workers in (1, 2, 3):
            r = run(backend, workers, args.jobs, args.duration)
            print(
                f"{backend:<11}{workers:>8}{r['jobs_per_min']:>10.1f}{r['audio_x_realtime']:>11.1f}"
                f"{r['wake_p50']:>13.1f}{r['wake_p99']:>13.1f}{r['get_p50']:>12.2f}{r['get_p99']:>12.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
