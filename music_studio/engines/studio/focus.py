"""Focus mode: fixed key and tempo, segments of 45–90 s joined by equal-power crossfades."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from music_studio.engines.studio.composition import compose
from music_studio.engines.studio.mixer import Stereo, TrackRenderer
from music_studio.engines.studio.prompt import Plan, rng_for
from music_studio.engines.studio.synth import SR

CROSSFADE = 8.0
TARGET_SEGMENT = 60.0
MIN_SEGMENT, MAX_SEGMENT = 45.0, 90.0


@dataclass(frozen=True)
class Segment:
    start: int
    length: int
    crossfade: int
    """Overlap with the next segment, in frames (0 for the last)."""

    def as_dict(self) -> dict[str, float]:
        return {
            "start_seconds": self.start / SR,
            "duration_seconds": self.length / SR,
            "crossfade_seconds": self.crossfade / SR,
        }


def layout(total: int) -> list[Segment]:
    """N segments of about a minute whose overlaps sum to exactly `total` frames."""
    seconds = total / SR
    if seconds < MIN_SEGMENT + CROSSFADE:
        return [Segment(0, total, 0)]
    x = int(CROSSFADE * SR)
    low = math.ceil((seconds - CROSSFADE) / (MAX_SEGMENT - CROSSFADE))
    high = max(low, math.floor((seconds - CROSSFADE) / (MIN_SEGMENT - CROSSFADE)))
    n = min(high, max(low, round((seconds - CROSSFADE) / (TARGET_SEGMENT - CROSSFADE))))
    base = (total - x) // n // 4 * 4  # multiples of 4 keep the quarter-rate reverb in phase
    segments = []
    for k in range(n):
        start = k * base
        length = base + x if k < n - 1 else total - start
        segments.append(Segment(start, length, x if k < n - 1 else 0))
    return segments


def segment_plan(plan: Plan, index: int) -> Plan:
    """Segment k's variation: one layer changes, the key, tempo and brightness stay."""
    rng = rng_for("focus-segment", plan.prompt_digest, plan.seed, index)
    energy = float(np.clip(plan.energy + rng.uniform(-0.05, 0.05), 0.05, 0.3))
    extra_options = [plan.extra, "bell", "pluck", None] if plan.extra else ["bell", "pluck", None]
    pad_options = ["pad", "strings"] if plan.pad else [None, "pad"]
    return dataclasses.replace(
        plan,
        energy=energy,
        extra=extra_options[int(rng.integers(0, len(extra_options)))] if index else plan.extra,
        pad=pad_options[int(rng.integers(0, len(pad_options)))] if index else plan.pad,
    )


class FocusStream:
    """Sums the active segments' renderers with sin/cos fades over each overlap."""

    def __init__(self, plan: Plan, total: int, chunk: int) -> None:
        self.plan, self.total, self.chunk = plan, total, chunk
        self.segments = layout(total)
        self.renderers: dict[int, TrackRenderer] = {}
        self.pos = 0

    def _renderer(self, k: int) -> TrackRenderer:
        if k not in self.renderers:
            seg = self.segments[k]
            sub = segment_plan(self.plan, k)
            score = compose(sub, seg.length / SR, variant=k)
            shared = self.renderers[k - 1] if k - 1 in self.renderers else None
            self.renderers[k] = TrackRenderer(score, sub, self.chunk, variant=k, cache=shared.cache if shared else None)
        return self.renderers[k]

    def render(self, n: int, tick: Callable[[], None] | None = None) -> Stereo:
        """The next n frames; `tick` is called after setting up a new segment (a slow step)."""
        start, end = self.pos, self.pos + n
        out = np.zeros((2, n), dtype=np.float32)
        for k, seg in enumerate(self.segments):
            lo, hi = max(start, seg.start), min(end, seg.start + seg.length)
            if lo >= hi:
                continue
            if k not in self.renderers:
                self._renderer(k)
                if tick is not None:
                    tick()
            part = self.renderers[k].render(hi - lo)
            fade_in = self.segments[k - 1].crossfade if k > 0 else 0
            in_fade = lo < seg.start + fade_in or hi > seg.start + seg.length - seg.crossfade
            if in_fade:  # equal-power sin/cos gains, only where this segment overlaps a neighbour
                idx = np.arange(lo, hi, dtype=np.float64)
                gain = np.ones(hi - lo)
                if fade_in:
                    gain *= np.sin(0.5 * np.pi * np.clip((idx - seg.start) / fade_in, 0.0, 1.0))
                if seg.crossfade:
                    left = (seg.start + seg.length - idx) / seg.crossfade
                    gain *= np.sin(0.5 * np.pi * np.clip(left, 0.0, 1.0))
                part *= gain.astype(np.float32)
            out[:, lo - start : hi - start] += part
        for k in [k for k, seg in enumerate(self.segments) if seg.start + seg.length <= end]:
            self.renderers.pop(k, None)  # finished segments free their accumulators
        self.pos = end
        return out
