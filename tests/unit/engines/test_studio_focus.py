"""Focus mode: seamless segments, flat loudness, no lead, dark timbre."""

from __future__ import annotations

import numpy as np
import pytest

from bench.analysis import (
    clipped_samples,
    estimate_key,
    integrated_lufs,
    sample_peak_dbfs,
    short_term_lufs,
    spectral_centroid,
)
from music_studio.engines.studio.focus import layout
from tests.unit.engines.renders import render

FOCUS_PROMPT = "deep focus ambient in A minor, soft evolving pads, no drums"


def test_long_focus_stream_is_flat_and_segmented() -> None:
    r = render(FOCUS_PROMPT, 110, mode="focus", seed=3)
    segments = r.result.segments
    assert segments is not None and len(segments) == 2
    assert segments[0]["start_seconds"] == 0.0
    end = segments[-1]["start_seconds"] + segments[-1]["duration_seconds"]
    assert end == pytest.approx(110.0, abs=1e-3)
    for a, b in zip(segments, segments[1:], strict=False):
        assert 45.0 <= a["duration_seconds"] <= 90.0
        assert b["start_seconds"] == pytest.approx(
            a["start_seconds"] + a["duration_seconds"] - a["crossfade_seconds"], abs=1e-3
        )
        assert 6.0 <= a["crossfade_seconds"] <= 10.0
    assert len(r.audio) == 110 * 44100
    assert integrated_lufs(r.audio, r.rate) == pytest.approx(-14.0, abs=0.5)
    assert sample_peak_dbfs(r.audio) <= -1.0
    assert clipped_samples(r.audio) == 0
    # 3 s loudness across the stream (fades at the very ends excluded), crossfades included.
    short = short_term_lufs(r.audio[4 * 44100 : -4 * 44100], r.rate)
    median = float(np.median(short))
    assert float(short.max()) - median <= 1.0
    assert median - float(short.min()) <= 1.0
    assert estimate_key(r.audio, r.rate) == ("A", "minor")
    plan = r.result.plan
    assert plan["melody"] is False and plan["drums"] is False
    assert plan["key"] == "A" and plan["mode"] == "minor"


def test_focus_is_darker_than_creation() -> None:
    focus = render("lofi study beats in D minor, 80 bpm", 20, mode="focus")
    creation = render("lofi study beats in D minor, 80 bpm", 20)
    assert spectral_centroid(focus.audio, 44100) < spectral_centroid(creation.audio, 44100)
    assert focus.result.plan["melody"] is False
    assert focus.result.plan["bpm"] == creation.result.plan["bpm"] == 80


def test_short_focus_is_one_segment() -> None:
    r = render("calm focus", 20, mode="focus")
    assert r.result.segments == [{"start_seconds": 0.0, "duration_seconds": 20.0, "crossfade_seconds": 0.0}]
    assert len(r.audio) == 20 * 44100
    assert integrated_lufs(r.audio, r.rate) == pytest.approx(-14.0, abs=0.5)


@pytest.mark.parametrize("seconds", [45, 60, 90, 100, 137, 200, 299, 300])
def test_segment_layout_covers_the_duration(seconds: int) -> None:
    segments = layout(seconds * 44100)
    assert segments[0].start == 0
    assert segments[-1].start + segments[-1].length == seconds * 44100
    for seg in segments:
        assert seg.length <= 90 * 44100
        assert seg.length >= 45 * 44100 or len(segments) == 1
    for a, b in zip(segments, segments[1:], strict=False):
        assert b.start == a.start + a.length - a.crossfade
