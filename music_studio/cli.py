"""music-studio: serve | worker | migrate | keys create | keys revoke | demo | generate."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from music_studio.settings import Settings, SettingsError

logger = logging.getLogger("music_studio.cli")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="music-studio", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="migrate, then run the API and N render worker processes")
    serve.add_argument("--host", default=None, help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="bind port (default 8000)")
    serve.add_argument("--render-workers", type=int, default=1, metavar="N", help="worker processes (0 for none)")

    worker = commands.add_parser("worker", help="run render workers only (scale-out)")
    worker.add_argument("--processes", type=int, default=1, metavar="N")

    commands.add_parser("migrate", help="apply database migrations")

    keys = commands.add_parser("keys", help="manage API keys").add_subparsers(dest="keys_command", required=True)
    create = keys.add_parser("create", help="create a key (and the org, user, membership if missing)")
    create.add_argument("--org", required=True, help="organisation id, e.g. org_acme")
    create.add_argument("--user", required=True, help="user id, e.g. usr_alice")
    revoke = keys.add_parser("revoke", help="revoke a key (reads it from stdin if not given)")
    revoke.add_argument("key", nargs="?")

    commands.add_parser("demo", help="create the demo org, user and key once; print how to use them")

    generate = commands.add_parser("generate", help="render one track locally to an MP3 file (no server)")
    generate.add_argument("prompt")
    generate.add_argument("--duration", type=int, default=30)
    generate.add_argument("--mode", choices=["creation", "focus"], default="creation")
    generate.add_argument("--seed", type=int, default=0)
    generate.add_argument("--output", "-o", type=Path, default=Path("track.mp3"))

    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"music-studio: {error}", file=sys.stderr)
        return 2
    from music_studio.logs import configure_logging

    configure_logging()
    handler = {
        "serve": _serve,
        "worker": _worker,
        "migrate": _migrate,
        "keys": _keys,
        "demo": _demo,
        "generate": _generate,
    }[args.command]
    return handler(settings, args)


def _migrate(settings: Settings, _args: argparse.Namespace) -> int:
    from music_studio.db.migrate import upgrade

    upgrade(settings.database_url)
    return 0


def _keys(settings: Settings, args: argparse.Namespace) -> int:
    from music_studio import identity
    from music_studio.db.connection import create_engine
    from music_studio.db.migrate import upgrade

    upgrade(settings.database_url)
    engine = create_engine(settings.database_url)
    if args.keys_command == "create":
        try:
            key = identity.create_key(engine, args.org, args.user)
        except ValueError as error:
            print(f"music-studio: {error}", file=sys.stderr)
            return 2
        print(key)
        return 0
    presented = args.key or sys.stdin.readline().strip()
    if not identity.revoke_key(engine, presented):
        print("music-studio: no such live key", file=sys.stderr)
        return 1
    print("revoked", file=sys.stderr)
    return 0


def _demo(settings: Settings, _args: argparse.Namespace) -> int:
    """Create the demo key once (kept in DATA_DIR/demo-key, mode 0600) and print a curl command."""
    from music_studio import identity
    from music_studio.db.connection import create_engine
    from music_studio.db.migrate import upgrade

    upgrade(settings.database_url)
    path = settings.data_dir / "demo-key"
    if not path.exists():
        key = identity.create_key(create_engine(settings.database_url), "org_demo", "usr_demo")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key + "\n")
    key = path.read_text().strip()
    base = settings.base_url
    print(
        f"""
Music Studio demo organisation: org_demo, user: usr_demo
API key (kept in {path}):
  export MUSIC_STUDIO_KEY={key}

Create a 30 s track:
  curl -s -X POST {base}/v1/music/org_demo/generations \\
    -H "X-API-Key: $MUSIC_STUDIO_KEY" -H "Content-Type: application/json" \\
    -d '{{"engine": "studio", "prompt": "late night study lo-fi, mellow piano, 80 bpm", "duration_seconds": 30}}'

Poll it (use the id from the answer) until "status" is "succeeded", then open "playback_url":
  curl -s {base}/v1/music/org_demo/generations/mgen_... -H "X-API-Key: $MUSIC_STUDIO_KEY"

API explorer: {base}/v1/ui/
""",
        flush=True,
    )
    return 0


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from music_studio.app import create_app
    from music_studio.db.migrate import upgrade
    from music_studio.supervisor import WorkerPool

    settings = settings.with_overrides(
        host=args.host or settings.host, port=args.port if args.port is not None else settings.port
    )
    upgrade(settings.database_url)
    pool = WorkerPool(settings, args.render_workers)
    if args.render_workers > 0:
        pool.start()
    config = uvicorn.Config(
        create_app(settings), host=settings.host, port=settings.port, log_config=None, access_log=settings.access_log
    )
    # uvicorn restores the previous SIGTERM handler on exit and re-raises the signal; with the
    # default handler that would kill this process before the worker pool is stopped.
    signal.signal(signal.SIGTERM, lambda *_: None)
    try:
        uvicorn.Server(config).run()
    finally:
        pool.stop()
    return 0


def _worker(settings: Settings, args: argparse.Namespace) -> int:
    from music_studio.db.migrate import upgrade
    from music_studio.worker import run_worker

    upgrade(settings.database_url)
    if args.processes <= 1:
        run_worker(settings)
        return 0
    from music_studio.supervisor import WorkerPool

    pool = WorkerPool(settings, args.processes)
    pool.start()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: pool.stop())
    pool.wait()
    return 0


def _generate(_settings: Settings, args: argparse.Namespace) -> int:
    from music_studio.engines import get_engine
    from music_studio.engines.base import RenderRequest

    engine = get_engine("studio")
    assert engine is not None
    started = time.process_time()
    result = engine.render(
        RenderRequest(prompt=args.prompt, duration_seconds=args.duration, mode=args.mode, seed=args.seed),
        lambda _fraction: None,
        lambda: False,
    )
    args.output.write_bytes(result.audio)
    print(
        f"{args.output}: {result.duration_seconds:.3f} s, {len(result.audio)} bytes, "
        f"{time.process_time() - started:.2f} s CPU, plan {result.plan}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
