"""What each switchable speed-up of the polling route is worth: the app with all of them against the
app with one switched off, in one process, on the same data.

Two apps are built from the same settings (each its own Services and engine, one SQLite file seeded
as bench/http.py seeds it). After a first request has built every lazily made plan, the lever
under test is switched off in the second app only, by the same per-operation switch its tests use
(tests/unit/test_connexion_fast_paths.py). Then, round after round, each app serves N GET job
requests (the order swapping every round) and the figure is the median of the per-round ratios
`without / with`: above 1.00x the lever pays. CPU time is `time.process_time()`, no sockets.

Levers: direct (argument binding and response building, connexion_patches 7), security (the lone
header API key, 9), swagger (Swagger UI routing skip, 8), params (path-only parameter validation,
compiled_validation), held (the event loop's own SQLite read connection, db/prepared.py).

Usage: .venv/bin/python bench/levers.py [--requests 300] [--rounds 31] [direct security swagger params held]
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
import statistics  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

from bench.get_job_inprocess import Harness, seeded_environment  # noqa: E402
from tests.connexion_stack import middleware, operations  # noqa: E402

OPERATION = "handlers.generations.get_generation"


def switch_off(app: Any, services: Any, lever: str) -> None:
    from connexion.middleware.request_validation import RequestValidationMiddleware
    from connexion.middleware.security import SecurityMiddleware
    from connexion.middleware.swagger_ui import SwaggerUIMiddleware

    from music_studio.db import prepared

    if lever == "direct":
        operations(app._middleware_app)[OPERATION].__dict__["_music_studio_direct"] = None
    elif lever == "security":
        operations(middleware(app, SecurityMiddleware))[OPERATION].__dict__["_music_studio_check"] = None
    elif lever == "swagger":
        middleware(app, SwaggerUIMiddleware).__dict__["_music_studio_paths"] = None
    elif lever == "params":
        validation = operations(middleware(app, RequestValidationMiddleware))[OPERATION]
        validation.__dict__["_music_studio_validators"][1]._path_only = None
    elif lever == "held":
        original: Callable[[Any], Any] = prepared._held_sqlite_connection
        prepared._held_sqlite_connection = lambda e: None if e is services.db else original(e)  # type: ignore[assignment]
    else:
        raise SystemExit(f"unknown lever {lever!r}")


async def measure(args: argparse.Namespace) -> None:
    seed = seeded_environment()
    from music_studio.app import create_app
    from music_studio.services import Services
    from music_studio.settings import Settings

    path = f"/v1/music/{seed.org}/generations/{seed.job_id}"
    print(f"GET job in process, {args.rounds} rounds of {args.requests} requests per app")
    print(f"{'lever':<10} {'with µs':>8} {'without µs':>10} {'without / with':>15}")
    for lever in args.levers:
        harnesses = []
        for _ in range(2):
            services = Services.from_settings(Settings.from_env())
            harness = Harness(create_app(services=services), path, seed.key)
            await harness.start()
            await harness.cpu_us(50)  # every lazily built plan exists now
            harnesses.append((harness, services))
        (with_lever, _), (without_lever, its_services) = harnesses
        switch_off(without_lever.app, its_services, lever)
        await without_lever.cpu_us(50)
        ratios, ons, offs = [], [], []
        for round_ in range(args.rounds):
            pair = [with_lever, without_lever] if round_ % 2 == 0 else [without_lever, with_lever]
            timed = {id(h): await h.cpu_us(args.requests) for h in pair}
            on, off = timed[id(with_lever)], timed[id(without_lever)]
            ons.append(on)
            offs.append(off)
            ratios.append(off / on)
        print(
            f"{lever:<10} {statistics.median(ons):>8.0f} {statistics.median(offs):>10.0f} "
            f"{statistics.median(ratios):>14.2f}x",
            flush=True,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300, help="requests per timing (default 300)")
    parser.add_argument("--rounds", type=int, default=31, help="rounds per lever (default 31)")
    parser.add_argument("levers", nargs="*", default=["direct", "security", "swagger", "params", "held"])
    asyncio.run(measure(parser.parse_args()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
