"""Mastering: a streaming BS.1770 loudness meter, a look-ahead limiter and TPDF dither to int16."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy import ndimage, signal

from music_studio.engines.studio.synth import SR

Stereo = npt.NDArray[np.float32]
TARGET_LUFS = -14.0
CEILING_DBFS = -1.7
"""Below −1 dBFS with room for the MP3 encoder's overshoot on decode."""
_HOP = SR // 10  # 100 ms: four hops make one 400 ms gating block (75 % overlap)


def _k_weighting() -> npt.NDArray[np.float64]:
    """The two BS.1770 biquads (libebur128 constants), recomputed for 44.1 kHz."""
    f0, gain, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / SR)
    vh = 10 ** (gain / 20)
    vb = vh**0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf = [(vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0,
             1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / SR)
    a0 = 1 + k / q + k * k
    highpass = [1.0, -2.0, 1.0, 1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]
    return np.array([shelf, highpass], dtype=np.float64)


class LoudnessMeter:
    """Integrated loudness (LUFS) fed chunk by chunk; agrees with whole-buffer meters to ~0.02 LU."""

    def __init__(self) -> None:
        self.sos = _k_weighting()
        self.zi = np.zeros((2, 2, 2), dtype=np.float64)
        self.pending = np.zeros(0, dtype=np.float64)
        self.hops: list[float] = []

    def feed(self, stereo: Stereo) -> None:
        filtered, self.zi = signal.sosfilt(self.sos, stereo, axis=1, zi=self.zi)
        power = np.concatenate([self.pending, np.sum(np.square(filtered), axis=0)])
        whole = len(power) // _HOP * _HOP
        if whole:
            self.hops.extend((power[:whole].reshape(-1, _HOP).mean(axis=1)).tolist())
        self.pending = power[whole:]

    def integrated(self, hop_gains: npt.NDArray[np.float64] | None = None) -> float:
        """Integrated LUFS, optionally as if each 100 ms hop had been scaled by `hop_gains`."""
        hops = np.asarray(self.hops, dtype=np.float64)
        if hop_gains is not None:
            hops = hops * np.square(hop_gains[: len(hops)])
        if len(hops) < 4:
            hops = np.concatenate([hops, self.pending.mean(keepdims=True)]) if len(self.pending) else hops
            blocks = np.array([hops.mean()]) if len(hops) else np.zeros(1)
        else:
            blocks = np.convolve(hops, np.full(4, 0.25), mode="valid")
        loud = -0.691 + 10 * np.log10(np.maximum(blocks, 1e-20))
        gated = blocks[loud > -70.0]
        if len(gated) == 0:
            return -math.inf
        relative = -0.691 + 10 * math.log10(float(gated.mean())) - 10.0
        gated = blocks[(loud > -70.0) & (loud > relative)]
        return -0.691 + 10 * math.log10(float(gated.mean()))


def leveller(hops: list[float], window: float = 3.0, smooth: float = 2.0, max_db: float = 6.0) -> npt.NDArray[
        np.float64]:
    """Per-hop gains that hold 3 s loudness near its median: a slow, look-ahead rider for focus."""
    power = np.asarray(hops, dtype=np.float64)
    if len(power) == 0:
        return np.ones(0)
    local = ndimage.uniform_filter1d(power, size=max(1, int(window * 10)), mode="nearest")
    local_db = 10 * np.log10(np.maximum(local, 1e-12))
    voiced = local_db > local_db.max() - 30
    ref = float(np.median(local_db[voiced]))
    gain_db = np.clip(ref - local_db, -max_db, max_db)
    gain_db = ndimage.uniform_filter1d(gain_db, size=max(1, int(smooth * 10)), mode="nearest")
    return np.asarray(10 ** (gain_db / 20), dtype=np.float64)


def hop_curve(hop_gains: npt.NDArray[np.float64], start: int, end: int) -> npt.NDArray[np.float32]:
    """Per-frame gains for frames start..end, interpolated between 100 ms hop centres."""
    centres = (np.arange(len(hop_gains)) + 0.5) * _HOP
    frames = np.arange(start, end, dtype=np.float64)
    return np.interp(frames, centres, hop_gains).astype(np.float32)


LOOKAHEAD = int(0.005 * SR)
SMOOTH = 2 * LOOKAHEAD - 1
MARGIN = LOOKAHEAD + SMOOTH


def limit(source: Stereo, start: int, end: int, gain: float, ceiling_dbfs: float = CEILING_DBFS,
          hop_gains: npt.NDArray[np.float64] | None = None) -> Stereo:
    """source[:, start:end] × gain (× a slow per-hop gain curve), limited to the ceiling.

    The gain curve is a minimum filter (look-ahead) then a moving average no wider than it, so the
    smoothed gain never exceeds the per-sample safe gain: no overshoot, no clicks. Margins are read
    from `source` itself, so the result does not depend on where chunks are cut.
    """
    ceiling = 10 ** (ceiling_dbfs / 20)
    lo, hi = max(0, start - MARGIN), min(source.shape[1], end + MARGIN)
    block = source[:, lo:hi]
    if hop_gains is not None:
        block = block * (hop_curve(hop_gains, lo, hi) * np.float32(gain))[None, :]
    else:
        block = block * np.float32(gain)
    out = block[:, start - lo:start - lo + (end - start)]
    if max(float(block.max()), -float(block.min())) <= ceiling:
        return out
    level = np.max(np.abs(block), axis=0)
    safe = np.minimum(1.0, ceiling / np.maximum(level, 1e-9)).astype(np.float32)
    held = ndimage.minimum_filter1d(safe, size=2 * LOOKAHEAD + 1, mode="nearest")
    smooth = ndimage.uniform_filter1d(held, size=SMOOTH, mode="nearest")
    curve = np.minimum(smooth, held)[start - lo: start - lo + (end - start)]
    return (out * curve[None, :]).astype(np.float32, copy=False)


def fade(total: int, start: int, n: int, fade_in: int, fade_out: int) -> npt.NDArray[np.float32] | None:
    """Gains for frames start..start+n of a track with raised-cosine fades, or None if all 1."""
    if start >= fade_in and start + n <= total - fade_out:
        return None
    idx = np.arange(start, start + n, dtype=np.float64)
    g = np.ones(n)
    if fade_in > 0:
        g *= np.where(idx < fade_in, 0.5 - 0.5 * np.cos(np.pi * np.minimum(idx / fade_in, 1.0)), 1.0)
    if fade_out > 0:
        rem = (total - idx) / fade_out
        g *= np.where(rem < 1.0, 0.5 - 0.5 * np.cos(np.pi * np.clip(rem, 0.0, 1.0)), 1.0)
    return g.astype(np.float32)


def to_int16(x: Stereo, rng: np.random.Generator) -> bytes:
    """TPDF dither (difference of two uniforms, ±1 LSB) then rounding: interleaved int16 PCM."""
    n = x.shape[1]
    scaled = x * np.float32(32767.0)
    # Random bytes are the cheapest uniform source; 1/256 LSB resolution is ample for dither.
    raw = np.frombuffer(rng.bytes(4 * n), dtype=np.uint8).reshape(2, 2, n)
    noise = (raw[0].astype(np.int16) - raw[1]).astype(np.float32)
    scaled += noise * np.float32(1.0 / 256.0)
    pcm = np.empty((n, 2), dtype="<i2")
    pcm[:, 0] = np.rint(scaled[0])
    pcm[:, 1] = np.rint(scaled[1])
    return pcm.tobytes()
