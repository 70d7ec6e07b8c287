"""Chunked overlap-add rendering of a score into stereo, with reverb, ducking and texture."""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from scipy import fft as sfft

from music_studio.engines.studio.composition import MAX_NOTE, Score
from music_studio.engines.studio.kit import build_kit
from music_studio.engines.studio.prompt import Plan, rng_for
from music_studio.engines.studio.synth import SR, Audio, NoteCache

Stereo = npt.NDArray[np.float32]
DRUM_VOICES = frozenset(
    {
        "kick",
        "kick_soft",
        "kick_808",
        "snare",
        "snare_soft",
        "brush",
        "clap",
        "hat",
        "hat_soft",
        "ride",
        "shaker",
        "taiko",
        "tom",
        "chip_kick",
        "chip_snare",
        "chip_hat",
    }
)
_DECIM = 4  # the reverb runs at 11.025 kHz: its tail is dark anyway, and the FFTs are 4× smaller


class Reverb:
    """FFT convolution at a quarter of the sample rate with a decorrelated noise impulse response per
    side; the tail is kept at the low rate and only finished samples are interpolated back up."""

    def __init__(self, rng: np.random.Generator, chunk: int, seconds: float = 2.2) -> None:
        rate = SR / _DECIM
        n_ir = int(seconds * rate)
        t = np.arange(n_ir) / rate
        irs = rng.standard_normal((2, n_ir)) * np.exp(-t * 6.9 / seconds)
        irs[:, : int(0.018 * rate)] = 0.0  # pre-delay keeps the dry attack clear
        irs /= np.sqrt(np.sum(irs**2, axis=1, keepdims=True))
        self.n_ir = n_ir
        self.max_low = math.ceil(chunk / _DECIM)
        self.nfft = sfft.next_fast_len(self.max_low + n_ir, real=True)
        self.spectrum = sfft.rfft(irs.astype(np.float32), self.nfft, axis=1)
        self.acc = np.zeros((2, self.max_low + n_ir + 1), dtype=np.float32)
        self.prev = np.zeros((2, 1), dtype=np.float32)

    def process(self, send: Stereo, level: float) -> Stereo:
        """Wet output for the next frames of the stereo `send` (a multiple of 4 frames except on the
        last call), fed at `level` as a mono sum."""
        n = send.shape[1]
        m = math.ceil(n / _DECIM)
        if n % _DECIM:
            send = np.concatenate([send, np.zeros((2, m * _DECIM - n), dtype=np.float32)], axis=1)
        # Decimating the mono sum with strided slices straight from the stereo bus: one pass, no
        # full-rate temporaries (reshape().mean() is ~10× slower here).
        low = send[0, 0::4] + send[1, 0::4]
        for phase in range(1, _DECIM):
            low += send[0, phase::4]
            low += send[1, phase::4]
        low *= np.float32(level / (2 * _DECIM))
        wet = sfft.irfft(sfft.rfft(low, self.nfft) * self.spectrum, self.nfft, axis=1)
        self.acc[:, : m + self.n_ir] += wet[:, : m + self.n_ir]
        # Interpolate between finished low-rate samples only (one sample of delay, 4 frames).
        points = np.concatenate([self.prev, self.acc[:, :m]], axis=1)
        base = points[:, :m]
        step = np.diff(points, axis=1)
        up = np.empty((2, m, _DECIM), dtype=np.float32)
        up[:, :, 0] = base
        for r in range(1, _DECIM):  # writing each phase in place is far cheaper than broadcasting
            np.multiply(step, np.float32(r / _DECIM), out=up[:, :, r])
            up[:, :, r] += base
        self.prev = self.acc[:, m - 1 : m].copy()
        self.acc[:, :-m] = self.acc[:, m:]
        self.acc[:, -m:] = 0.0
        flat: Stereo = up.reshape(2, -1)[:, :n]
        return flat


class TrackRenderer:
    """Renders a score chunk by chunk; notes start in the chunk holding their onset and ring on."""

    def __init__(self, score: Score, plan: Plan, chunk: int, variant: int = 0, cache: NoteCache | None = None) -> None:
        self.score, self.plan, self.chunk = score, plan, chunk
        self.cache = cache if cache is not None else NoteCache(plan.brightness)
        has_drums = any(ev.voice in DRUM_VOICES for ev in score.events)
        kit_rng = rng_for("kit", plan.prompt_digest, plan.seed, variant)
        self.kit = build_kit(kit_rng, plan.brightness) if has_drums else {}
        self.reverb = Reverb(rng_for("reverb", plan.prompt_digest, plan.seed, variant), chunk)
        tail = int((MAX_NOTE + 1.6) * SR)
        self.dry = np.zeros((2, chunk + tail), dtype=np.float32)
        self.wet = np.zeros((2, chunk + tail), dtype=np.float32)
        self.extent = 0
        self.pos = 0
        self.index = 0
        self.onsets = np.array([round(e.time * SR) for e in score.events], dtype=np.int64)
        for ev in score.events:
            self.cache.need(ev.voice, ev.duration)
        self.texture = _hiss(plan) if plan.style_def.texture == "vinyl" else None
        self.crackles = _crackles(plan, score.duration) if self.texture is not None else []
        self.pump = plan.style_def.pump

    def render(self, n: int, tick: Callable[[], None] | None = None) -> Stereo:
        """The next n stereo frames (n ≤ chunk); `tick` is unused (every chunk is quick)."""
        start, end = self.pos, self.pos + n
        events = self.score.events
        stop = int(np.searchsorted(self.onsets, end, side="left"))
        for i in range(self.index, stop):
            ev = events[i]
            offset = int(self.onsets[i]) - start
            if ev.chord:
                stereo = self.cache.chord(ev.voice, ev.chord, ev.duration, ev.strum, ev.pan)
                length = min(stereo.shape[1], self.wet.shape[1] - offset)
                self.wet[:, offset : offset + length] += stereo[:, :length] * np.float32(ev.velocity)
                self.extent = max(self.extent, offset + length)
                continue
            if ev.voice in DRUM_VOICES:
                audio = self.kit[ev.voice]
                bus = self.dry
            else:
                audio = self.cache.note(ev.voice, ev.pitch, ev.duration)
                bus = self.wet
            length = min(len(audio), bus.shape[1] - offset)
            angle = (ev.pan + 1.0) * math.pi / 4
            seg = audio[:length]
            bus[0, offset : offset + length] += seg * np.float32(ev.velocity * math.cos(angle) * 1.41421)
            bus[1, offset : offset + length] += seg * np.float32(ev.velocity * math.sin(angle) * 1.41421)
            self.extent = max(self.extent, offset + length)
        self.index = stop

        wet = self.wet[:, :n]
        if self.pump > 0:
            wet = wet * self._duck(start, n)
        out = self.dry[:, :n] + wet
        if self.plan.reverb > 0:
            out += self.reverb.process(wet, self.plan.reverb)
        if self.texture is not None:
            _add_texture(out, self.texture, self.crackles, start)
        # Shift only the part that holds sound: most notes end well before the tail's end.
        keep = max(0, self.extent - n)
        for buf in (self.dry, self.wet):
            if keep:
                buf[:, :keep] = buf[:, n : n + keep]
            buf[:, keep : max(keep, self.extent)] = 0.0
        self.extent = keep
        self.pos = end
        return out

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


def _crackles(plan: Plan, duration: float) -> list[tuple[int, float]]:
    """Vinyl crackles as (frame, amplitude), drawn once per track at absolute positions."""
    rng = rng_for("crackle", plan.prompt_digest, plan.seed)
    seconds = int(math.ceil(duration))
    counts = rng.integers(2, 7, seconds)
    where = np.repeat(np.arange(seconds) * SR, counts) + rng.integers(0, SR, int(counts.sum()))
    amps = rng.uniform(0.01, 0.05, len(where)) * rng.choice([-1.0, 1.0], len(where))
    return sorted(zip(where.tolist(), amps.tolist(), strict=True))


def _add_texture(out: Stereo, hiss: Audio, crackles: list[tuple[int, float]], start: int) -> None:
    """Adds looped hiss (the right side half a loop later, so it is decorrelated) and crackles."""
    n = out.shape[1]
    loop = len(hiss)
    for ch, shift in ((0, 0), (1, loop // 2)):
        done = 0
        while done < n:
            at = (start + done + shift) % loop
            take = min(n - done, loop - at)
            out[ch, done : done + take] += hiss[at : at + take]
            done += take
    first = bisect.bisect_left(crackles, (start, -math.inf))
    for pos, amp in crackles[first:]:
        if pos >= start + n - len(_CLICK):
            break
        out[:, pos - start : pos - start + len(_CLICK)] += np.float32(amp) * _CLICK


_CLICK = (np.exp(-np.arange(40) / 6.0) * np.cos(np.arange(40) * 1.3)).astype(np.float32)
