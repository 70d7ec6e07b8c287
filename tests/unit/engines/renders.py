"""Shared, memoised renders for the studio engine tests (each distinct request renders once)."""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bench.analysis import decode
from music_studio.engines.base import Mode, RenderRequest, RenderResult
from music_studio.engines.studio import StudioEngine

ENGINE = StudioEngine()


@dataclass(frozen=True)
class Rendered:
    request: RenderRequest
    result: RenderResult
    audio: npt.NDArray[np.float64]
    rate: int
    progress: tuple[float, ...]
    progress_times: tuple[float, ...]


@functools.cache
def render(
    prompt: str, duration: int, mode: Mode = "creation", seed: int = 0, style_tags: tuple[str, ...] = ()
) -> Rendered:
    request = RenderRequest(prompt=prompt, duration_seconds=duration, mode=mode, seed=seed, style_tags=style_tags)
    fractions: list[float] = []
    times: list[float] = []

    def progress(fraction: float) -> None:
        fractions.append(fraction)
        times.append(time.perf_counter())

    started = time.perf_counter()
    result = ENGINE.render(request, progress, lambda: False)
    audio, rate = decode(result.audio)
    return Rendered(request, result, audio, rate, tuple(fractions), (started, *times))
