"""Creation mode, judged on the decoded MP3: length, loudness, peaks, tempo, key, variety."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
import soundfile

from bench.analysis import (
    clipped_samples,
    estimate_key,
    estimate_tempo,
    integrated_lufs,
    sample_peak_dbfs,
    spectral_centroid,
)
from music_studio.engines.base import RenderRequest
from tests.unit.engines.renders import ENGINE, render

STYLE_PROMPTS = [
    "late night study lo-fi, mellow piano, 80 bpm",
    "deep house groove in D minor, 124 bpm",
    "happy pop song in G major, 110 bpm",
    "smooth jazz trio in Bb major, 96 bpm",
    "epic cinematic score in E minor, 90 bpm",
    "chiptune adventure in C major, 140 bpm",
    "ambient drone in F# minor, 70 bpm",
]


@pytest.mark.parametrize("duration", [1, 2, 7, 13])
def test_decoded_length_is_exact(duration: int) -> None:
    r = render("lofi beats", duration)
    assert abs(len(r.audio) - duration * 44100) <= 44  # 1 ms
    assert r.rate == 44100 and r.audio.shape[1] == 2
    assert r.result.duration_seconds == pytest.approx(duration, abs=1e-3)
    assert r.result.mime_type == "audio/mpeg"
    info = soundfile.info(io.BytesIO(r.result.audio))  # reads the Info tag without decoding
    assert abs(info.frames - duration * 44100) <= 44


def test_info_tag_frame() -> None:
    data = render("lofi beats", 7).result.audio
    assert data[:2] == b"\xff\xfb"
    assert data[36:40] == b"Info"
    n_frames = int.from_bytes(data[44:48], "big")
    assert int.from_bytes(data[48:52], "big") == len(data)
    assert data[156:165] == b"LAME3.100"
    delay_padding = int.from_bytes(data[177:180], "big")
    delay, padding = delay_padding >> 12, delay_padding & 0xFFF
    assert delay == 576
    assert n_frames * 1152 - delay - padding == 7 * 44100
    crc = 0
    for byte in data[:190]:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    assert int.from_bytes(data[190:192], "big") == crc
    assert 626 * (n_frames + 1) <= len(data) <= 627 * (n_frames + 1)  # 192 kbps CBR frames


@pytest.mark.parametrize("prompt", STYLE_PROMPTS)
def test_mastering(prompt: str) -> None:
    r = render(prompt, 16)
    assert integrated_lufs(r.audio, r.rate) == pytest.approx(-14.0, abs=0.5)
    assert sample_peak_dbfs(r.audio) <= -1.0
    assert clipped_samples(r.audio) == 0
    # Real stereo, not dual mono; no DC; no silent second.
    left, right = r.audio[:, 0], r.audio[:, 1]
    assert float(np.corrcoef(left, right)[0, 1]) < 0.995
    assert abs(float(r.audio.mean())) < 1e-3
    seconds = r.audio[: len(r.audio) // 44100 * 44100].reshape(-1, 44100, 2)
    assert float(np.sqrt((seconds**2).mean(axis=(1, 2))).min()) > 10 ** (-50 / 20)


@pytest.mark.parametrize(
    ("prompt", "bpm"),
    [
        ("late night study lo-fi, mellow piano, 80 bpm", 80),
        ("deep house groove in D minor, 124 bpm", 124),
        ("happy pop song in G major, 110 bpm", 110),
        ("smooth jazz trio in Bb major, 96 bpm", 96),
        ("dark lo-fi in A minor, 72 bpm", 72),
    ],
)
def test_estimated_tempo_matches_the_request(prompt: str, bpm: int) -> None:
    r = render(prompt, 16)
    assert r.result.plan["bpm"] == bpm
    assert abs(estimate_tempo(r.audio, r.rate) - bpm) <= 3.0


@pytest.mark.parametrize(
    ("prompt", "key"),
    [
        ("deep house groove in D minor, 124 bpm", ("D", "minor")),
        ("happy pop song in G major, 110 bpm", ("G", "major")),
        ("epic cinematic score in E minor, 90 bpm", ("E", "minor")),
        ("dark lo-fi in A minor, 72 bpm", ("A", "minor")),
        ("sad piano in C# minor, 85 bpm", ("C#", "minor")),
        ("uplifting house in F major, 126 bpm", ("F", "major")),
    ],
)
def test_estimated_key_matches_the_request(prompt: str, key: tuple[str, str]) -> None:
    r = render(prompt, 16)
    assert (r.result.plan["key"], r.result.plan["mode"]) == key
    assert estimate_key(r.audio, r.rate) == key


def test_different_prompts_sound_different() -> None:
    house = render("deep house groove in D minor, 124 bpm", 16)
    ambient = render("ambient drone in F# minor, 70 bpm", 16)
    lofi = render("late night study lo-fi, mellow piano, 80 bpm", 16)
    assert spectral_centroid(house.audio, 44100) > 1.2 * spectral_centroid(ambient.audio, 44100)
    n = min(len(house.audio), len(lofi.audio))
    assert abs(float(np.corrcoef(house.audio[:n, 0], lofi.audio[:n, 0])[0, 1])) < 0.2
    assert house.result.plan != lofi.result.plan


def test_same_request_gives_the_same_plan_and_pcm() -> None:
    first = render("late night study lo-fi, mellow piano, 80 bpm", 16)
    render.cache_clear()
    second = render("late night study lo-fi, mellow piano, 80 bpm", 16)
    assert first.result.plan == second.result.plan
    assert first.result.title == second.result.title == "Late Night Study"
    assert float(np.max(np.abs(first.audio - second.audio))) < 1e-3
    other_seed = render("late night study lo-fi, mellow piano, 80 bpm", 16, seed=1)
    assert float(np.max(np.abs(first.audio - other_seed.audio))) > 0.05


def test_plan_is_reported_and_matches_describe() -> None:
    r = render("late night study lo-fi, mellow piano, 80 bpm", 16)
    assert r.result.plan == ENGINE.describe(r.request)
    for field in ("style", "bpm", "key", "mode", "seed", "instruments", "drums", "energy"):
        assert field in r.result.plan
    assert r.result.segments is None


def test_sections_scale_with_duration() -> None:
    for duration in (10, 30, 120, 300):
        plan = ENGINE.describe(RenderRequest(prompt="lofi, 80 bpm", duration_seconds=duration))
        sections = plan["sections"]
        intro_end = sections[1]["start_seconds"] if sections[0]["name"] == "intro" else 0.0
        assert intro_end <= max(3.1, 0.15 * duration)
        assert {s["name"] for s in sections} & {"theme", "themeB"}


def test_progress_is_monotonic_frequent_and_complete() -> None:
    r = render("deep house groove in D minor, 124 bpm", 16)
    assert r.progress[-1] == 1.0
    assert all(b > a for a, b in zip(r.progress, r.progress[1:], strict=False))
    assert all(0.0 <= f <= 1.0 for f in r.progress)
    gaps = np.diff(r.progress_times)
    assert float(gaps.max()) < 0.5
    assert len(r.progress) >= 6


def test_extreme_seed_and_odd_prompt_render() -> None:
    r = render("🎵 \x00 ☕", 3, seed=2**31 - 1)
    assert len(r.audio) == 3 * 44100
    assert r.result.title
    assert math.isfinite(integrated_lufs(r.audio, r.rate))
