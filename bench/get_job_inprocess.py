"""CPU cost of GET job in-process: the service's ASGI app against bench/reference_app.py, no sockets.

For measuring one lever at a time (docs/performance.md, round 2): quieter than bench/http.py because
neither wrk nor the kernel's socket work is in the figure. Seeds a data directory as bench/http.py
does, builds both apps in this process (lifespan run, state passed as uvicorn would), then for each
round times reference, service, reference (`time.process_time()` over N requests each) and prints
the median of the per-round ratios service / mean(reference).

Usage: .venv/bin/python bench/get_job_inprocess.py [--requests 200] [--rounds 15] [--profile tottime]
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# bench/http.py is named like the standard library's `http`: keep this directory off the path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import importlib.util  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402


def load_bench_http() -> Any:
    spec = importlib.util.spec_from_file_location("bench_http", ROOT / "bench" / "http.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_http"] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


class Harness:
    def __init__(self, app: Any, path: str, key: str) -> None:
        self.app, self.path, self.key = app, path, key
        self.state: dict[str, Any] = {}

    async def start(self) -> None:
        """Run the lifespan startup and keep its state, as uvicorn does."""
        inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        await inbox.put({"type": "lifespan.startup"})
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": self.state}
        self._lifespan = asyncio.create_task(self.app(scope, inbox.get, outbox.put))
        message = await outbox.get()
        assert message["type"] == "lifespan.startup.complete", message

    async def get(self) -> None:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": self.path,
            "raw_path": self.path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"127.0.0.1"), (b"x-api-key", self.key.encode()), (b"user-agent", b"bench")],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "state": dict(self.state),
        }
        status: list[int] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])

        await self.app(scope, receive, send)
        if status != [200]:
            raise RuntimeError(f"GET job answered {status}")

    async def cpu_us(self, requests: int) -> float:
        start = time.process_time()
        for _ in range(requests):
            await self.get()
        return (time.process_time() - start) / requests * 1e6


def seeded_environment() -> Any:
    """Seed a data directory as bench/http.py does and point both apps' settings at it; the first seed."""
    bench = load_bench_http()
    data_dir = Path(tempfile.mkdtemp(prefix="bench-inprocess-")) / "var"
    seed = bench.seed(data_dir)[0]
    os.environ.update(
        {
            "MUSIC_STUDIO_DATA_DIR": str(data_dir),
            "MUSIC_STUDIO_SIGNING_KEYS": bench.SIGNING_KEY,
            "MUSIC_STUDIO_PUBLIC_URL": bench.PUBLIC_URL,
            **{
                f"MUSIC_STUDIO_RATE_LIMIT_{kind}_{unit}": "100000000"
                for kind in ("READS", "CREATES", "MEDIA")
                for unit in ("PER_MINUTE", "BURST")
            },
            "BENCH_DB": str(data_dir / "music-studio.db"),
            "BENCH_SIGNING_KEY": bench.SIGNING_KEY,
            "BENCH_BASE_URL": bench.PUBLIC_URL,
        }
    )
    return seed


async def measure(args: argparse.Namespace) -> None:
    seed = seeded_environment()
    from bench.reference_app import app as reference_app
    from music_studio.app import create_app
    from music_studio.settings import Settings

    path = f"/v1/music/{seed.org}/generations/{seed.job_id}"
    service = Harness(create_app(Settings.from_env()), path, seed.key)
    reference = Harness(reference_app, path, seed.key)
    for harness in (service, reference):
        await harness.start()
        await harness.cpu_us(50)  # warm-up: first-request caches
    ratios, ours, theirs = [], [], []
    for _ in range(args.rounds):
        before = await reference.cpu_us(args.requests)
        mine = await service.cpu_us(args.requests)
        after = await reference.cpu_us(args.requests)
        ours.append(mine)
        theirs += [before, after]
        ratios.append(mine / ((before + after) / 2))
    print(
        f"in-process GET job: service {statistics.median(ours):.0f} µs, reference {statistics.median(theirs):.0f} µs, "
        f"ratio median {statistics.median(ratios):.2f}x (min {min(ratios):.2f}x, {args.rounds} rounds)"
    )
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.requests * 5):
            await service.get()
        profiler.disable()
        pstats.Stats(profiler).sort_stats(args.profile).print_stats(50)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200, help="requests per timing (default 200)")
    parser.add_argument("--rounds", type=int, default=15, help="rounds of reference, service, reference (default 15)")
    parser.add_argument("--profile", help="then cProfile the service, sorted by this key (tottime, cumulative)")
    asyncio.run(measure(parser.parse_args()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
