"""Pitched instruments: wavetable and FM voices, rendered once per pitch and cached.

Each (voice, pitch) is rendered once as a long "held" note (attack, decay or sustain). A note of a
given length is a slice of it with a release ramp; a chord is a cached stereo sum of such notes.
Caches are bounded (LRU by bytes) so long renders keep a flat memory profile.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

SR = 44100
Audio = npt.NDArray[np.float32]
_TABLE_BITS = 12
_TABLE = 1 << _TABLE_BITS
_DUR_QUANTUM = 0.02
HELD_BYTES = 16 * 2**20
MADE_BYTES = 28 * 2**20
MAX_MADE_ITEM = 4 * 2**20
"""Cut notes and chords above 4 MB (pads over ~2 bars at 60 bpm) are rebuilt on each use instead."""
LOOP_FRAMES = 2 * SR


def midi_hz(pitch: float) -> float:
    return float(440.0 * 2.0 ** ((pitch - 69) / 12.0))


def _table(amps: npt.NDArray[np.float64]) -> Audio:
    """One band-limited cycle (sine phases) with the given harmonic amplitudes, peak 1."""
    spec = np.zeros(_TABLE // 2 + 1, dtype=np.complex128)
    spec[1 : len(amps) + 1] = -1j * amps * (_TABLE / 2)
    cycle = np.fft.irfft(spec, _TABLE)
    cycle /= float(np.max(np.abs(cycle))) or 1.0
    return np.append(cycle, cycle[0]).astype(np.float32)


def _phase(hz: float, n: int, offset: float = 0.0) -> npt.NDArray[np.uint32]:
    """Phase as 32-bit fixed point: integer wrap-around is free and exact over long notes."""
    inc = np.uint32(int(round(hz / SR * 2**32)) & 0xFFFFFFFF)
    start = np.uint32(int(offset * 2**32) & 0xFFFFFFFF)
    return np.arange(n, dtype=np.uint32) * inc + start


def _read(table: Audio, phase: npt.NDArray[np.uint32]) -> Audio:
    # Indexing with intp is ~4× faster than with uint32 indices (no per-element conversion).
    return table[(phase >> np.uint32(32 - _TABLE_BITS)).astype(np.intp)]


def _decay(n: int, tau: float) -> Audio:
    env: Audio = np.exp(np.arange(n, dtype=np.float32) * np.float32(-1.0 / (tau * SR)))
    return env


def _attack(env: Audio, seconds: float) -> Audio:
    a = min(len(env), max(1, int(seconds * SR)))
    env[:a] *= np.linspace(0.0, 1.0, a, dtype=np.float32)
    return env


_BUMPS: dict[int, Audio] = {}


def _remove_dc(note: Audio) -> None:
    """Subtracts the note's mean as a smooth bump (no step at either end): a short note that stops
    mid-cycle otherwise leaves an offset, and thousands of them add up to audible DC."""
    n = len(note)
    mean = float(note.mean(dtype=np.float64))
    if abs(mean) < 1e-7 or n < 2:
        return
    bump = _BUMPS.get(n)
    if bump is None:  # unit-mean Hann window; note lengths repeat (20 ms quantum), so cache them
        window = np.hanning(n + 2)[1:-1]
        bump = (window / window.mean()).astype(np.float32)
        if len(_BUMPS) < 256:
            _BUMPS[n] = bump
    note -= np.float32(mean) * bump


@dataclass(frozen=True)
class Voice:
    hold: float
    """Seconds rendered for the held note (long enough for the longest note plus release)."""
    release: float
    build: Callable[[NoteCache, float, int], Audio]
    loop_attack: float | None = None
    """Sustained voices: `build` makes a seamless loop and notes get this attack when cut from it."""


class _Lru:
    """A least-recently-used store bounded in bytes."""

    def __init__(self, limit: int, max_item: int | None = None) -> None:
        self.limit, self.max_item = limit, max_item if max_item is not None else limit
        self.items: OrderedDict[tuple[object, ...], Audio] = OrderedDict()
        self.bytes = 0

    def get(self, key: tuple[object, ...], make: Callable[[], Audio], min_len: int = 0) -> Audio:
        hit = self.items.get(key)
        if hit is not None and len(hit) >= min_len:
            self.items.move_to_end(key)
            return hit
        if hit is not None:  # too short for this request: rebuild
            self.bytes -= hit.nbytes
            del self.items[key]
        value = make()
        if value.nbytes <= self.max_item:
            self.items[key] = value
            self.bytes += value.nbytes
            while self.bytes > self.limit and len(self.items) > 1:
                _, old = self.items.popitem(last=False)
                self.bytes -= old.nbytes
        return value


class NoteCache:
    """Renders notes and chords once; the mixer applies velocity and placement."""

    def __init__(self, brightness: float) -> None:
        self.brightness = brightness
        self.limit_hz = min(16000.0, 2500.0 + 9000.0 * brightness)
        self._held = _Lru(HELD_BYTES)
        self._made = _Lru(MADE_BYTES, MAX_MADE_ITEM)
        self._tables: dict[tuple[str, int], Audio] = {}
        self._ramps: dict[int, Audio] = {}
        self.longest: dict[str, float] = {}
        """Longest note per voice in the score: held notes are rendered no longer than needed."""

    def table(
        self, kind: str, hz: float, shape: Callable[[npt.NDArray[np.float64]], npt.NDArray[np.float64]], most: int
    ) -> Audio:
        """A wavetable for this pitch with only the harmonics below the brightness limit."""
        count = max(1, min(most, int(self.limit_hz / hz)))
        key = (kind, count)
        if key not in self._tables:
            self._tables[key] = _table(shape(np.arange(1, count + 1, dtype=np.float64)))
        return self._tables[key]

    def need(self, voice: str, seconds: float) -> None:
        """Declares that notes of this voice may last `seconds` (before release)."""
        self.longest[voice] = max(self.longest.get(voice, 0.0), seconds)

    def held(self, voice: str, pitch: int) -> Audio:
        spec = VOICES.get(voice, VOICES["piano"])
        seconds = min(spec.hold, self.longest.get(voice, spec.hold) + spec.release + _DUR_QUANTUM)
        n = int(seconds * SR)
        if spec.loop_attack is not None:
            loop = self._held.get((voice, pitch), lambda: spec.build(self, midi_hz(pitch), LOOP_FRAMES))
            out = np.resize(loop, n)  # tiles the seamless loop
            return _attack(out, spec.loop_attack)
        return self._held.get((voice, pitch), lambda: spec.build(self, midi_hz(pitch), n), min_len=n)

    def note(self, voice: str, pitch: int, duration: float) -> Audio:
        """The note cut to `duration` (quantised to 20 ms) with its release ramp."""
        q = max(1, int(round(duration / _DUR_QUANTUM)))
        return self._made.get(("note", voice, pitch, q), lambda: self._cut(voice, pitch, q * _DUR_QUANTUM))

    def _cut(self, voice: str, pitch: int, duration: float) -> Audio:
        base = self.held(voice, pitch)
        rel = int(VOICES.get(voice, VOICES["piano"]).release * SR)
        on = min(len(base), int(duration * SR))
        end = min(len(base), on + rel)
        out = base[:end].copy()
        if end > on:
            ramp = self._ramps.get(rel)
            if ramp is None:
                ramp = self._ramps[rel] = np.linspace(1.0, 0.0, rel, dtype=np.float32) ** 2
            out[on:end] *= ramp[: end - on]
        if end - on < rel:  # the held note ran out before the release finished: end without a click
            tail = min(len(out), 220)
            out[len(out) - tail :] *= np.linspace(1.0, 0.0, tail, dtype=np.float32)
        if VOICES.get(voice, VOICES["piano"]).loop_attack is None:
            _remove_dc(out)
        return out

    def chord(self, voice: str, pitches: tuple[int, ...], duration: float, strum: float, spread: float) -> Audio:
        """A stereo chord (2, n): voices spread across the field, optionally strummed."""
        q = max(1, int(round(duration / _DUR_QUANTUM)))
        key = ("chord", voice, pitches, q, round(strum, 4), round(spread, 3))
        return self._made.get(key, lambda: self._chord(voice, pitches, q * _DUR_QUANTUM, strum, spread))

    def _chord(self, voice: str, pitches: tuple[int, ...], duration: float, strum: float, spread: float) -> Audio:
        notes = [self.note(voice, p, duration) for p in pitches]
        lag = int(strum * SR)
        n = max(len(x) + i * lag for i, x in enumerate(notes))
        out = np.zeros((2, n), dtype=np.float32)
        count = len(notes)
        for i, x in enumerate(notes):
            pan = spread * (2 * i / max(1, count - 1) - 1) if count > 1 else 0.0
            angle = (pan + 1.0) * np.pi / 4
            weight = 1.0 if i == 0 else 0.85
            out[0, i * lag : i * lag + len(x)] += x * np.float32(weight * np.cos(angle) * 1.41421)
            out[1, i * lag : i * lag + len(x)] += x * np.float32(weight * np.sin(angle) * 1.41421)
        return out


def _two_tables(
    c: NoteCache,
    hz: float,
    n: int,
    kind: str,
    bright_shape: Callable[[npt.NDArray[np.float64]], npt.NDArray[np.float64]],
    most: int,
    fast: float,
    slow: float,
    body_mix: float,
    detune_cents: float = 0.0,
) -> Audio:
    """A bright table that fades fast over a mellow one that rings: decaying partials, cheaply."""
    bright = c.table(kind + "-bright", hz, bright_shape, most)
    mellow = c.table(kind + "-mellow", hz, lambda k: 1.0 / k**2.5, 4)
    phase = _phase(hz, n)
    out = _read(bright, phase) * _decay(n, fast)
    body = _read(mellow, phase)
    if detune_cents:
        body = np.float32(0.5) * (body + _read(mellow, _phase(hz * 2 ** (detune_cents / 1200), n, 0.3)))
    out += np.float32(body_mix) * body * _decay(n, slow)
    return _attack(out, 0.003)


def _piano(c: NoteCache, hz: float, n: int) -> Audio:
    scale = (220.0 / hz) ** 0.35
    b = 0.5 + 0.4 * c.brightness
    return 0.45 * _two_tables(
        c, hz, n, "piano", lambda k: b ** (k - 1) / k**1.2, 14, 0.25 * scale, 2.2 * scale, 0.8, 1.8
    )


def _pluck(c: NoteCache, hz: float, n: int) -> Audio:
    return 0.5 * _two_tables(c, hz, n, "pluck", lambda k: np.abs(np.sin(np.pi * k * 0.18)) / k, 14, 0.12, 0.9, 0.7)


def _upright(c: NoteCache, hz: float, n: int) -> Audio:
    return 0.75 * _two_tables(c, hz, n, "upright", lambda k: 1.0 / k**1.5, 8, 0.1, 0.9, 0.9)


_SINE_BITS = 14
_SINE = np.sin(2 * np.pi * np.arange(1 << _SINE_BITS) / (1 << _SINE_BITS)).astype(np.float32)


def _fm(hz: float, n: int, ratio: float, index: float, index_tau: float, tau: float) -> Audio:
    """Two-operator FM with sine-table lookups (np.sin is several times slower here)."""
    shift = np.uint32(32 - _SINE_BITS)
    mod = _SINE[(_phase(hz * ratio, n) >> shift).astype(np.intp)]
    mod *= _decay(n, index_tau) * np.float32(index * 2**32 / (2 * np.pi))
    total = (_phase(hz, n).astype(np.int64) + mod.astype(np.int64)) & 0xFFFFFFFF
    out = _SINE[(total >> (32 - _SINE_BITS)).astype(np.intp)]
    return _attack(out * _decay(n, tau), 0.003)


def _rhodes(c: NoteCache, hz: float, n: int) -> Audio:
    return 0.4 * _fm(hz, n, 1.0, 0.5 + 1.0 * c.brightness, 0.45, 2.0)


def _bell(c: NoteCache, hz: float, n: int) -> Audio:
    return 0.28 * _fm(hz, n, 3.0, 1.2 + c.brightness, 0.7, 1.5)  # 3:1 keeps the partials harmonic


def _detuned(
    c: NoteCache,
    hz: float,
    n: int,
    kind: str,
    shape: Callable[[npt.NDArray[np.float64]], npt.NDArray[np.float64]],
    most: int,
    cents: float,
    voices: int,
    attack: float | None,
    tau: float | None,
) -> Audio:
    """Detuned table oscillators; with attack=None the result is a seamless loop of n frames
    (each oscillator rounded to a whole number of cycles: at most 0.25 Hz off for a 2 s loop)."""
    table = c.table(kind, hz, shape, most)
    out = np.zeros(n, dtype=np.float32)
    for v in range(voices):
        f = hz * 2 ** (cents * (v - (voices - 1) / 2) / 1200.0)
        if attack is None:
            f = max(1.0, round(f * n / SR)) * SR / n
        out += _read(table, _phase(f, n, 0.31 * v))
    out *= np.float32(1.0 / voices)
    if tau is not None:
        out *= _decay(n, tau)
    return out if attack is None else _attack(out, attack)


VOICES: dict[str, Voice] = {
    "piano": Voice(5.0, 0.25, _piano),
    "rhodes": Voice(5.0, 0.3, _rhodes),
    "pluck": Voice(3.0, 0.12, _pluck),
    "upright": Voice(3.0, 0.08, _upright),
    "bell": Voice(4.0, 0.9, _bell),
    "pad": Voice(
        8.8,
        1.2,
        lambda c, hz, n: 0.26 * _detuned(c, hz, n, "saw", lambda k: 1.0 / k**1.6, 10, 9.0, 2, None, None),
        loop_attack=0.7,
    ),
    "strings": Voice(
        8.4,
        0.8,
        lambda c, hz, n: 0.24 * _detuned(c, hz, n, "str", lambda k: 1.0 / k**1.2, 16, 6.0, 3, None, None),
        loop_attack=0.35,
    ),
    "synth": Voice(
        4.0, 0.15, lambda c, hz, n: 0.28 * _detuned(c, hz, n, "lead", lambda k: 1.0 / k, 20, 7.0, 2, 0.01, 1.8)
    ),
    "stab": Voice(
        1.5, 0.08, lambda c, hz, n: 0.3 * _detuned(c, hz, n, "stab", lambda k: 1.0 / k**1.1, 16, 12.0, 2, 0.003, 0.22)
    ),
    "square": Voice(
        3.0, 0.03, lambda c, hz, n: 0.2 * _detuned(c, hz, n, "sq", lambda k: (k % 2) / k, 31, 0.0, 1, 0.002, 0.9)
    ),
    "triangle": Voice(
        3.0, 0.02, lambda c, hz, n: 0.55 * _detuned(c, hz, n, "tri", lambda k: (k % 2) / k**2, 15, 0.0, 1, 0.002, None)
    ),
    "sub": Voice(
        8.0,
        0.08,
        lambda c, hz, n: (
            0.7 * _detuned(c, hz, n, "sub", lambda k: np.array([1.0, 0.22, 0.08])[: len(k)], 3, 0.0, 1, 0.006, 8.0)
        ),
    ),
    "synth_bass": Voice(
        3.0, 0.06, lambda c, hz, n: 0.6 * _detuned(c, hz, n, "bass", lambda k: 1.0 / k**1.5, 8, 0.0, 1, 0.004, 0.6)
    ),
}
