"""Chunked overlap-add rendering of a score into stereo, with reverb, ducking and texture."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy import fft as sfft

from music_studio.engines.studio.composition import MAX_NOTE, Score
from music_studio.engines.studio.kit import build_kit
from music_studio.engines.studio.prompt import Plan, rng_for
from music_studio.engines.studio.synth import SR, Audio, NoteCache

Stereo = npt.NDArray[np.float32]
DRUM_VOICES = frozenset({"kick", "kick_soft", "kick_808", "snare", "snare_soft", "brush", "clap", "hat",
                         "hat_soft", "ride", "shaker", "taiko", "tom", "chip_kick", "chip_snare", "chip_hat"})
_DECIM = 4  # the reverb runs at 11.025 kHz: its tail is dark anyway, and the FFTs are 4× smaller


class Reverb:
    """FFT convolution with a decorrelated, exponentially decaying noise impulse response per side."""

    def __init__(self, rng: np.random.Generator, chunk: int, seconds: float = 2.2) -> None:
        rate = SR / _DECIM
        n_ir = int(seconds * rate)
        t = np.arange(n_ir) / rate
        decay = np.exp(-t * 6.9 / seconds)
        predelay = int(0.018 * rate)
        irs = rng.standard_normal((2, n_ir)) * decay
        irs[:, :predelay] = 0.0
        irs /= np.sqrt(np.sum(irs**2, axis=1, keepdims=True))
        self.n_ir = n_ir
        self.nfft = sfft.next_fast_len(chunk // _DECIM + n_ir + 2, real=True)
        self.spectrum = sfft.rfft(irs.astype(np.float32), self.nfft, axis=1)
        self.tail_samples = (n_ir + 2) * _DECIM

    def process(self, send: Audio) -> Stereo:
        """The wet output for `send`, tail included (len(send) + tail_samples, rounded up)."""
        m = math.ceil(len(send) / _DECIM)
        padded = np.zeros(m * _DECIM, dtype=np.float32)
        padded[: len(send)] = send
        low = padded.reshape(m, _DECIM).mean(axis=1)
        wet = sfft.irfft(sfft.rfft(low, self.nfft) * self.spectrum, self.nfft, axis=1)[:, : m + self.n_ir + 1]
        wet = wet.astype(np.float32)
        # Linear interpolation back to 44.1 kHz; its sinc² response also suppresses the images.
        step = np.diff(wet, axis=1, append=wet[:, -1:])
        frac = (np.arange(_DECIM, dtype=np.float32) / _DECIM)[None, None, :]
        up = (wet[:, :, None] + step[:, :, None] * frac).reshape(2, -1)
        return up.astype(np.float32, copy=False)


class TrackRenderer:
    """Renders a score chunk by chunk; notes start in the chunk holding their onset and ring on."""

    def __init__(self, score: Score, plan: Plan, chunk: int, variant: int = 0,
                 cache: NoteCache | None = None) -> None:
        self.score, self.plan, self.chunk = score, plan, chunk
        self.cache = cache if cache is not None else NoteCache(plan.brightness)
        rng = rng_for("kit", plan.prompt_digest, plan.seed, variant)
        self.kit = build_kit(rng, plan.brightness)
        self.reverb = Reverb(rng, chunk)
        tail = int((MAX_NOTE + 1.6) * SR)
        self.dry = np.zeros((2, chunk + tail), dtype=np.float32)
        self.wet = np.zeros((2, chunk + tail), dtype=np.float32)
        self.verb = np.zeros((2, chunk + self.reverb.tail_samples + _DECIM), dtype=np.float32)
        self.pos = 0
        self.index = 0
        self.onsets = np.array([round(e.time * SR) for e in score.events], dtype=np.int64)
        self.texture = _hiss(plan) if plan.style_def.texture == "vinyl" else None
        self.pump = plan.style_def.pump

    def render(self, n: int) -> Stereo:
        """The next n stereo frames (n ≤ chunk)."""
        start, end = self.pos, self.pos + n
        events = self.score.events
        stop = int(np.searchsorted(self.onsets, end, side="left"))
        for i in range(self.index, stop):
            ev = events[i]
            offset = int(self.onsets[i]) - start
            if ev.voice in DRUM_VOICES:
                audio = self.kit[ev.voice]
                bus = self.dry
            else:
                audio = self.cache.note(ev.voice, ev.pitch, ev.duration)
                bus = self.wet
            length = min(len(audio), bus.shape[1] - offset)
            angle = (ev.pan + 1.0) * math.pi / 4
            seg = audio[:length]
            bus[0, offset:offset + length] += seg * np.float32(ev.velocity * math.cos(angle) * 1.41421)
            bus[1, offset:offset + length] += seg * np.float32(ev.velocity * math.sin(angle) * 1.41421)
        self.index = stop

        wet = self.wet[:, :n]
        if self.pump > 0:
            wet = wet * self._duck(start, n)
        if self.plan.reverb > 0:
            send = (wet[0] + wet[1]) * np.float32(0.5 * self.plan.reverb)
            tail = self.reverb.process(send)
            self.verb[:, : tail.shape[1]] += tail
        out = self.dry[:, :n] + wet + self.verb[:, :n]
        if self.texture is not None:
            out += _texture(self.texture, self.plan, start, n)
        for buf in (self.dry, self.wet, self.verb):
            buf[:, :-n] = buf[:, n:]
            buf[:, -n:] = 0.0
        self.pos = end
        return out.astype(np.float32, copy=False)

    def _duck(self, start: int, n: int) -> Audio:
        beat = SR * 60.0 / self.plan.bpm
        phase = ((np.arange(start, start + n, dtype=np.float64)) % beat) / SR
        attack = 0.008
        shape = np.where(phase < attack, phase / attack, np.exp(-(phase - attack) / 0.11))
        return (1.0 - self.pump * shape).astype(np.float32)


def _hiss(plan: Plan) -> Audio:
    """Four seconds of soft, dark noise looped by absolute position (independent of chunk size)."""
    rng = rng_for("hiss", plan.prompt_digest, plan.seed)
    noise = rng.standard_normal(4 * SR)
    spec = np.fft.rfft(noise)
    freqs = np.fft.rfftfreq(len(noise), 1 / SR)
    spec *= 1.0 / np.sqrt(1.0 + (freqs / 3000.0) ** 2) / np.sqrt(1.0 + (200.0 / (freqs + 1.0)) ** 2)
    hiss = np.fft.irfft(spec, len(noise))
    return (hiss / np.std(hiss) * 0.004).astype(np.float32)


def _texture(hiss: Audio, plan: Plan, start: int, n: int) -> Stereo:
    idx = np.arange(start, start + n) % len(hiss)
    mono = hiss[idx].copy()
    # Crackles are drawn per absolute second, so they do not depend on the chunk size.
    for second in range(start // SR, (start + n - 1) // SR + 1):
        rng = rng_for("crackle", plan.prompt_digest, plan.seed, second)
        count = int(rng.integers(2, 7))
        where = second * SR + rng.integers(0, SR, count)
        amps = rng.uniform(0.01, 0.05, count) * rng.choice([-1.0, 1.0], count)
        for pos, amp in zip(where, amps, strict=True):
            if start <= pos < start + n - 40:
                mono[pos - start: pos - start + 40] += np.float32(amp) * _CLICK
    return np.stack([mono, np.roll(mono, 7)])


_CLICK = (np.exp(-np.arange(40) / 6.0) * np.cos(np.arange(40) * 1.3)).astype(np.float32)
