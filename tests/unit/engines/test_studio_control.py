"""Cancellation and speed: the engine stops within a chunk and stays fast on one core."""

from __future__ import annotations

import threading
import time

import pytest

from music_studio.engines.base import RenderCancelled, RenderRequest
from music_studio.engines.studio import StudioEngine

ENGINE = StudioEngine()


def test_cancelled_before_start_raises_immediately() -> None:
    request = RenderRequest(prompt="lofi", duration_seconds=60)
    started = time.perf_counter()
    with pytest.raises(RenderCancelled):
        ENGINE.render(request, lambda f: None, lambda: True)
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize(("mode", "at"), [("creation", 0.2), ("creation", 0.8), ("focus", 0.5)])
def test_cancel_mid_render_raises_within_a_chunk(mode: str, at: float) -> None:
    """Cancel once progress passes `at` (render phase at 0.2, encode phase at 0.8)."""
    request = RenderRequest(prompt="deep house, 124 bpm", duration_seconds=60, mode=mode)  # type: ignore[arg-type]
    event = threading.Event()
    set_at: list[float] = []
    seen_after: list[float] = []

    def progress(fraction: float) -> None:
        if event.is_set():
            seen_after.append(fraction)
        elif fraction >= at:
            set_at.append(time.perf_counter())
            event.set()

    with pytest.raises(RenderCancelled):
        ENGINE.render(request, progress, event.is_set)
    assert set_at, "progress never reached the cancellation point"
    assert time.perf_counter() - set_at[0] < 1.0
    assert len(seen_after) <= 1  # at most the chunk already in flight reports


def test_cancel_from_another_thread() -> None:
    request = RenderRequest(prompt="cinematic", duration_seconds=120)
    event = threading.Event()
    timer = threading.Timer(0.15, event.set)
    timer.start()
    started = time.perf_counter()
    try:
        with pytest.raises(RenderCancelled):
            ENGINE.render(request, lambda f: None, event.is_set)
    finally:
        timer.cancel()
    assert time.perf_counter() - started < 1.5


def test_speed_on_one_core_is_well_above_real_time() -> None:
    """A loose floor (the benchmark reports the real figure): 30 s renders in under 1.5 s CPU."""
    request = RenderRequest(prompt="late night study lo-fi, mellow piano, 80 bpm", duration_seconds=30)
    ENGINE.render(RenderRequest(prompt="warm-up", duration_seconds=2), lambda f: None, lambda: False)
    started = time.process_time()
    ENGINE.render(request, lambda f: None, lambda: False)
    assert time.process_time() - started < 1.5
