"""Benchmark of the built-in studio engine: speed on one core, memory, and objective measures.

Usage: .venv/bin/python bench/engine.py [--quick]

Each case runs in a fresh subprocess pinned to one CPU, so ru_maxrss is that case's peak. CPU time is
time.process_time() around engine.render() only, after a 1 s warm-up render in the same process (a
worker imports once and renders many jobs). Speed cases run twice and report the faster run (the
machine is shared; contention only ever adds time). The decoded-audio measures come from
bench/analysis.py.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SPEED_CASES = [
    ("creation", 30, "late night study lo-fi, mellow piano, 80 bpm"),
    ("creation", 120, "late night study lo-fi, mellow piano, 80 bpm"),
    ("creation", 300, "late night study lo-fi, mellow piano, 80 bpm"),
    ("focus", 30, "deep focus ambient, soft evolving pads, no drums"),
    ("focus", 120, "deep focus ambient, soft evolving pads, no drums"),
    ("focus", 300, "deep focus ambient, soft evolving pads, no drums"),
]
STYLE_CASES = [
    ("lofi", "late night study lo-fi, mellow piano, 80 bpm, in E minor", 80, "E minor"),
    ("ambient", "ambient drone in F# minor, 70 bpm", 70, "F# minor"),
    ("house", "deep house groove in D minor, 124 bpm", 124, "D minor"),
    ("pop", "happy pop song in G major, 110 bpm", 110, "G major"),
    ("jazz", "smooth jazz trio in Bb major, 96 bpm", 96, "Bb major"),
    ("cinematic", "epic cinematic score in C minor, 90 bpm", 90, "C minor"),
    ("chiptune", "chiptune adventure in C major, 140 bpm", 140, "C major"),
]


def child(prompt: str, duration: int, mode: str, seed: int) -> dict[str, Any]:
    """Runs one render in this (fresh) process and measures it."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    from music_studio.engines.base import RenderRequest
    from music_studio.engines.studio import StudioEngine

    engine = StudioEngine()
    engine.render(RenderRequest(prompt="warm-up", duration_seconds=1), lambda f: None, lambda: False)
    request = RenderRequest(prompt=prompt, duration_seconds=duration, mode=mode, seed=seed)  # type: ignore[arg-type]
    gaps: list[float] = []
    last = [time.perf_counter()]

    def progress(_: float) -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    wall = time.perf_counter()
    cpu = time.process_time()
    result = engine.render(request, progress, lambda: False)
    cpu = time.process_time() - cpu
    wall = time.perf_counter() - wall
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before decoding for analysis
    from bench import analysis  # imported late: pyloudnorm pulls in scipy.signal (~45 MB)

    audio, rate = analysis.decode(result.audio)
    tonic, key_mode = analysis.estimate_key(audio, rate)
    return {
        "cpu": cpu,
        "wall": wall,
        "rss_mb": rss_mb,
        "bytes": len(result.audio),
        "length_error": len(audio) - duration * rate,
        "lufs": analysis.integrated_lufs(audio, rate),
        "peak": analysis.sample_peak_dbfs(audio),
        "clipped": analysis.clipped_samples(audio),
        "tempo": analysis.estimate_tempo(audio, rate),
        "key": f"{tonic} {key_mode}",
        "centroid": analysis.spectral_centroid(audio, rate),
        "max_gap": max(gaps),
        "plan": result.plan,
    }


def run_case(prompt: str, duration: int, mode: str, seed: int = 42) -> dict[str, Any]:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    out = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps([prompt, duration, mode, seed])],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows]
    return "\n".join([line, rule, *body])


def main(quick: bool) -> None:
    speed = [c for c in SPEED_CASES if not quick or c[1] <= 120]
    rows = []
    for mode, duration, prompt in speed:
        runs = [run_case(prompt, duration, mode) for _ in range(2)]
        r = min(runs, key=lambda run: float(run["cpu"]))
        r["rss_mb"] = max(float(run["rss_mb"]) for run in runs)
        rows.append(
            [
                mode,
                f"{duration} s",
                f"{r['cpu']:.2f}",
                f"{duration / r['cpu']:.0f}x",
                f"{r['wall']:.2f}",
                f"{r['rss_mb']:.0f} MB",
                f"{r['bytes']:,}",
                str(r["length_error"]),
                f"{r['lufs']:.2f}",
                f"{r['peak']:.2f}",
                str(r["clipped"]),
                f"{r['max_gap']:.2f}",
            ]
        )
    print("Speed and memory (one core, fresh process per case, seed 42)\n")
    print(
        table(
            [
                "mode",
                "duration",
                "CPU s",
                "RTF (CPU)",
                "wall s",
                "peak RSS",
                "MP3 bytes",
                "length err (samples)",
                "LUFS",
                "peak dBFS",
                "clipped",
                "max progress gap s",
            ],
            rows,
        )
    )

    rows = []
    for style, prompt, bpm, key in STYLE_CASES:
        r = run_case(prompt, 30, "creation")
        rows.append(
            [
                style,
                r["plan"]["style"],
                str(bpm),
                f"{r['tempo']:.1f}",
                key,
                r["key"],
                f"{r['lufs']:.2f}",
                f"{r['peak']:.2f}",
                f"{r['centroid']:.0f}",
                f"{duration_rtf(r, 30)}",
            ]
        )
    print("\nPer style, 30 s creation (estimates from the decoded MP3)\n")
    print(
        table(
            [
                "style",
                "planned",
                "bpm asked",
                "bpm est.",
                "key asked",
                "key est.",
                "LUFS",
                "peak dBFS",
                "centroid Hz",
                "RTF",
            ],
            rows,
        )
    )


def duration_rtf(r: dict[str, Any], duration: int) -> str:
    return f"{duration / r['cpu']:.0f}x"


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        prompt, duration, mode, seed = json.loads(sys.argv[2])
        print(json.dumps(child(prompt, int(duration), mode, int(seed))))
    else:
        main(quick="--quick" in sys.argv)
