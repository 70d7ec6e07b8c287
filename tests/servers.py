"""Start the real service (`music-studio serve`) on 127.0.0.1 for contract and end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent


def _children(pid: int) -> list[int]:
    """Direct children of a process (its render workers), from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class RunningServer:
    base_url: str
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes]

    def cli(self, *args: str) -> str:
        """Run the music-studio CLI against the same data directory; returns stdout."""
        result = subprocess.run(
            [str(BIN / "music-studio"), *args], env=self.env, capture_output=True, check=True, timeout=60
        )
        return result.stdout.decode().strip()


@contextmanager
def serve(
    data_dir: Path, *, render_workers: int = 1, extra_env: dict[str, str] | None = None
) -> Iterator[RunningServer]:
    port = free_port()
    env = {
        **os.environ,
        "MUSIC_STUDIO_DATA_DIR": str(data_dir),
        "MUSIC_STUDIO_POLL_INTERVAL_SECONDS": "0.05",
        **(extra_env or {}),
    }
    log = data_dir.parent / f"server-{port}.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN / "music-studio"), "serve", "--port", str(port), "--render-workers", str(render_workers)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{log.read_text()}")
            try:
                if httpx.get(f"{base_url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not become ready:\n{log.read_text()}")
            time.sleep(0.1)
        yield RunningServer(base_url, env, log, process)
    finally:
        children = _children(process.pid)
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        # The multiprocessing resource tracker exits once it notices its parent is gone.
        deadline = time.monotonic() + 10
        while (survivors := [pid for pid in children if _alive(pid)]) and time.monotonic() < deadline:
            time.sleep(0.1)
        for pid in survivors:
            os.kill(pid, signal.SIGKILL)
        assert not survivors, f"processes {survivors} outlived the server they belong to"
