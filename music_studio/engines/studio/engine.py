"""The Studio engine: prompt → plan → score → chunked render → mastering → tagged MP3."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, Protocol

from music_studio.engines.base import (
    CancelCheck,
    Capabilities,
    Licence,
    ProgressCallback,
    RenderCancelled,
    RenderRequest,
    RenderResult,
)
from music_studio.engines.studio.composition import compose
from music_studio.engines.studio.composition import layout as section_layout
from music_studio.engines.studio.focus import FocusStream
from music_studio.engines.studio.focus import layout as focus_layout
from music_studio.engines.studio.mastering import (
    CALIBRATION_DB,
    TARGET_LUFS,
    Dither,
    LoudnessMeter,
    MixBuffer,
    fade,
    leveller,
    limit,
)
from music_studio.engines.studio.mixer import Stereo, TrackRenderer
from music_studio.engines.studio.mp3 import Mp3Writer
from music_studio.engines.studio.prompt import Plan, make_plan, make_title, rng_for
from music_studio.engines.studio.synth import SR

CHUNK = 1 << 17
"""About 3 s: keeps progress calls well under 0.5 s apart even on a busy machine; a multiple of 4 for
the quarter-rate reverb."""
RENDER_SHARE = 0.6
"""Fraction of the progress bar given to synthesis; mastering and encoding take the rest."""


class _Stream(Protocol):
    def render(self, n: int, tick: Callable[[], None] | None = None) -> Stereo: ...


class StudioEngine:
    """Procedural music from a text prompt: built-in synthesis, no samples, no models, no network."""

    key = "studio"
    name = "Studio"
    version = "1.0.0"
    description = (
        "Built-in procedural engine: understands style, tempo, key, mood and instrument words, "
        "composes sectioned instrumental tracks or seamless focus streams, and masters them to "
        "-14 LUFS. Fully synthesised, no third-party samples."
    )
    capabilities = Capabilities(
        modes=("creation", "focus"), max_duration_seconds=300, vocals=False, lyrics=False, stems=False, languages=()
    )
    licence = Licence("commercial_cleared", commercial_use=True, requires_attribution=False)

    def __init__(self, mp3_quality: int = 7) -> None:
        self.mp3_quality = mp3_quality

    def describe(self, request: RenderRequest) -> dict[str, Any]:
        return self._summary(request, make_plan(request))

    def _summary(self, request: RenderRequest, plan: Plan) -> dict[str, Any]:
        summary = plan.summary()
        duration = float(max(1, request.duration_seconds))
        if plan.focus:
            summary["segments"] = len(focus_layout(int(duration * SR)))
        else:
            bar = 4 * 60.0 / plan.bpm
            n_bars = max(1, math.ceil(duration / bar - 0.25))
            summary["sections"] = [
                {"name": s.role, "start_seconds": round(s.start_bar * bar, 3), "bars": s.bars}
                for s in section_layout(n_bars, False)
            ]
        return summary

    def render(self, request: RenderRequest, progress: ProgressCallback, cancelled: CancelCheck) -> RenderResult:
        reporter = _Progress(progress)
        reporter(0.0)
        _check(cancelled)
        plan = make_plan(request)
        total = int(max(1, request.duration_seconds)) * SR
        stream: _Stream
        segments: list[dict[str, float]] | None = None
        if plan.focus:
            focus = FocusStream(plan, total, CHUNK)
            segments = [s.as_dict() for s in focus.segments]
            stream = focus
            fade_in, fade_out = int(1.5 * SR), int(min(3.0, total / SR * 0.1) * SR)
        else:
            stream = TrackRenderer(compose(plan, total / SR), plan, CHUNK)
            fade_in, fade_out = int(0.01 * SR), int(min(2.5, total / SR * 0.08) * SR)
        fade_in = min(fade_in, total // 4)
        reporter(0.005)  # composition and set-up done; the first chunk also warms the note cache

        mix = MixBuffer(total, CHUNK)
        meter = LoudnessMeter()
        for start in range(0, total, CHUNK):
            _check(cancelled)
            n = min(CHUNK, total - start)
            halfway = RENDER_SHARE * (start + n / 2) / total
            block = stream.render(n, tick=functools.partial(reporter, halfway))
            gains = fade(total, start, n, fade_in, fade_out)
            if gains is not None:
                block *= gains[None, :]
            meter.feed(block)
            mix.write(start, block)
            reporter(RENDER_SHARE * (start + n) / total)

        hop_gains = leveller(meter.hops) if plan.focus else None
        loudness = meter.integrated(hop_gains)
        gain = 1.0 if not math.isfinite(loudness) else 10 ** ((TARGET_LUFS + CALIBRATION_DB - loudness) / 20)
        writer = Mp3Writer(self.mp3_quality)
        dither = Dither(rng_for("dither", plan.prompt_digest, plan.seed))
        for start in range(0, total, CHUNK):
            _check(cancelled)
            end = min(total, start + CHUNK)
            writer.encode(dither(limit(mix, start, end, gain, hop_gains=hop_gains, full_scale=32767.0)))
            reporter(RENDER_SHARE + (0.99 - RENDER_SHARE) * end / total)
        del mix
        _check(cancelled)
        audio = writer.finish(total)
        reporter(1.0)
        summary = self._summary(request, plan)
        return RenderResult(
            audio=audio,
            mime_type="audio/mpeg",
            duration_seconds=total / SR,
            title=make_title(request, plan),
            plan=summary,
            segments=segments,
        )


def _check(cancelled: CancelCheck) -> None:
    if cancelled():
        raise RenderCancelled("render cancelled")


class _Progress:
    """Forwards monotonic fractions only."""

    def __init__(self, callback: ProgressCallback) -> None:
        self.callback = callback
        self.last = -1.0

    def __call__(self, fraction: float) -> None:
        fraction = min(1.0, max(self.last, fraction))
        if fraction > self.last:
            self.last = fraction
            self.callback(fraction)
