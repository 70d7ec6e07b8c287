"""Pitched instruments: vectorised additive, FM and wavetable voices with a note cache."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

SR = 44100
Audio = npt.NDArray[np.float32]
_TABLE = 2048
_DUR_QUANTUM = 0.02


def midi_hz(pitch: float) -> float:
    return float(440.0 * 2.0 ** ((pitch - 69) / 12.0))


def _time(n: int) -> npt.NDArray[np.float64]:
    return np.arange(n, dtype=np.float64) / SR


def _envelope(n: int, on: int, attack: float, release: float, decay_tau: float | None) -> Audio:
    """Attack ramp, optional exponential decay, then a release ramp after note-off sample `on`."""
    t = np.arange(n, dtype=np.float32) / np.float32(SR)
    env = np.minimum(1.0, t / np.float32(max(attack, 1e-3))).astype(np.float32)
    if decay_tau is not None:
        env *= np.exp(-t / np.float32(decay_tau)).astype(np.float32)
    rel = max(1, n - on)
    if on < n:
        env[on:] *= np.linspace(1.0, 0.0, rel, dtype=np.float32) ** 2
    return env.astype(np.float32, copy=False)


def _table(amps: npt.NDArray[np.float64], phases: npt.NDArray[np.float64] | None = None) -> Audio:
    """One band-limited cycle with the given harmonic amplitudes (index 0 = fundamental)."""
    spec = np.zeros(_TABLE // 2 + 1, dtype=np.complex128)
    ph = np.zeros(len(amps)) if phases is None else phases
    spec[1:len(amps) + 1] = amps * np.exp(1j * (ph - np.pi / 2)) * (_TABLE / 2)
    cycle = np.fft.irfft(spec, _TABLE)
    peak = float(np.max(np.abs(cycle))) or 1.0
    return (cycle / peak).astype(np.float32)


def _osc(table: Audio, hz: float, n: int, phase: float = 0.0) -> Audio:
    idx = ((phase + hz * _time(n)) % 1.0 * _TABLE).astype(np.intp)
    return table[idx]


def _harmonics(hz: float, limit_hz: float, most: int) -> int:
    return max(1, min(most, int(min(limit_hz, 18000.0) / hz)))


class NoteCache:
    """Renders each (voice, pitch, quantised duration) once; velocity is applied by the mixer."""

    def __init__(self, brightness: float) -> None:
        self.brightness = brightness
        self.limit_hz = 2500.0 + 9000.0 * brightness
        self._notes: dict[tuple[str, int, int], Audio] = {}
        self._tables: dict[tuple[str, int], Audio] = {}
        self.voices: dict[str, Callable[[int, float], Audio]] = {
            "piano": self._piano, "rhodes": self._rhodes, "pad": self._pad, "strings": self._strings,
            "pluck": self._pluck, "bell": self._bell, "synth": self._lead, "square": self._square,
            "stab": self._stab, "sub": self._sub, "synth_bass": self._synth_bass,
            "upright": self._upright, "triangle": self._triangle,
        }

    def note(self, voice: str, pitch: int, duration: float) -> Audio:
        q = max(1, int(round(duration / _DUR_QUANTUM)))
        key = (voice, pitch, q)
        cached = self._notes.get(key)
        if cached is None:
            cached = self.voices.get(voice, self._piano)(pitch, q * _DUR_QUANTUM)
            self._notes[key] = cached
        return cached

    def _wave(self, kind: str, pitch: int, shape: Callable[[npt.NDArray[np.float64]], npt.NDArray[np.float64]],
              most: int) -> Audio:
        key = (kind, pitch)
        table = self._tables.get(key)
        if table is None:
            k = np.arange(1, _harmonics(midi_hz(pitch), self.limit_hz, most) + 1, dtype=np.float64)
            table = _table(shape(k))
            self._tables[key] = table
        return table

    def _additive(self, pitch: int, dur: float, release: float, amps: npt.NDArray[np.float64],
                  taus: npt.NDArray[np.float64], stretch: float = 0.0) -> Audio:
        hz = midi_hz(pitch)
        n_h = min(len(amps), _harmonics(hz, self.limit_hz, len(amps)))
        n = int((dur + release) * SR)
        t = _time(n)
        k = np.arange(1, n_h + 1, dtype=np.float64)
        freqs = hz * k * np.sqrt(1.0 + stretch * k * k)
        partials = np.exp(-t[None, :] / taus[:n_h, None]) * np.sin(2 * np.pi * freqs[:, None] * t[None, :])
        out = (amps[:n_h] @ partials).astype(np.float32)
        return (out * _envelope(n, int(dur * SR), 0.004, release, None)).astype(np.float32, copy=False)

    def _piano(self, pitch: int, dur: float) -> Audio:
        hz = midi_hz(pitch)
        k = np.arange(1, 13, dtype=np.float64)
        tau = 2.2 * (220.0 / hz) ** 0.35
        amps = (1.0 / k ** 1.3) * (0.55 + 0.45 * self.brightness) ** (k - 1)
        return 0.5 * self._additive(pitch, dur, 0.25, amps, tau / (1.0 + 0.45 * (k - 1)), 0.00035)

    def _pluck(self, pitch: int, dur: float) -> Audio:
        k = np.arange(1, 13, dtype=np.float64)
        amps = np.sin(np.pi * k * 0.18) / k  # plucked near the bridge
        return 0.55 * self._additive(pitch, dur, 0.12, amps, 0.9 / (1.0 + 0.7 * (k - 1)), 0.0001)

    def _upright(self, pitch: int, dur: float) -> Audio:
        k = np.arange(1, 7, dtype=np.float64)
        return 0.8 * self._additive(pitch, dur, 0.08, 1.0 / k ** 1.8, 0.9 / (1.0 + 1.2 * (k - 1)))

    def _fm(self, pitch: int, dur: float, ratio: float, index: float, index_tau: float, tau: float,
            release: float) -> Audio:
        hz = midi_hz(pitch)
        n = int((dur + release) * SR)
        t = _time(n)
        mod = index * np.exp(-t / index_tau) * np.sin(2 * np.pi * hz * ratio * t)
        out = np.sin(2 * np.pi * hz * t + mod).astype(np.float32)
        return out * _envelope(n, int(dur * SR), 0.003, release, tau)

    def _rhodes(self, pitch: int, dur: float) -> Audio:
        body = self._fm(pitch, dur, 1.0, 0.6 + 1.2 * self.brightness, 0.5, 2.2, 0.3)
        return 0.42 * body

    def _bell(self, pitch: int, dur: float) -> Audio:
        return 0.3 * self._fm(pitch, dur, 3.5, 1.4 + self.brightness, 0.8, 1.6, 0.9)

    def _detuned(self, table_kind: str, pitch: int, dur: float, shape: Callable[
            [npt.NDArray[np.float64]], npt.NDArray[np.float64]], most: int, cents: float, attack: float,
            release: float, tau: float | None, voices: int = 2) -> Audio:
        table = self._wave(table_kind, pitch, shape, most)
        hz = midi_hz(pitch)
        n = int((dur + release) * SR)
        out = np.zeros(n, dtype=np.float32)
        for v in range(voices):
            detune = 2 ** (cents * (v - (voices - 1) / 2) / 1200.0)
            out += _osc(table, hz * detune, n, phase=0.37 * v)
        out *= _envelope(n, int(dur * SR), attack, release, tau) / np.float32(voices)
        return out

    def _pad(self, pitch: int, dur: float) -> Audio:
        return 0.28 * self._detuned("saw", pitch, dur, lambda k: 1.0 / k ** 1.6, 10, 9.0, 0.7, 1.2, None)

    def _strings(self, pitch: int, dur: float) -> Audio:
        return 0.26 * self._detuned("str", pitch, dur, lambda k: 1.0 / k ** 1.2, 16, 6.0, 0.35, 0.8, None, 3)

    def _lead(self, pitch: int, dur: float) -> Audio:
        return 0.3 * self._detuned("lead", pitch, dur, lambda k: 1.0 / k, 20, 7.0, 0.01, 0.15, 1.8)

    def _stab(self, pitch: int, dur: float) -> Audio:
        return 0.3 * self._detuned("stab", pitch, dur, lambda k: 1.0 / k ** 1.1, 16, 12.0, 0.003, 0.08, 0.22)

    def _square(self, pitch: int, dur: float) -> Audio:
        return 0.2 * self._detuned("sq", pitch, dur, lambda k: (k % 2) / k, 31, 0.0, 0.002, 0.03, 0.9, 1)

    def _triangle(self, pitch: int, dur: float) -> Audio:
        return 0.55 * self._detuned("tri", pitch, dur, lambda k: (k % 2) / k ** 2, 15, 0.0, 0.002, 0.02,
                                    None, 1)

    def _sub(self, pitch: int, dur: float) -> Audio:
        k = np.array([1.0, 0.22, 0.08])
        n = int((dur + 0.08) * SR)
        t = _time(n)
        hz = midi_hz(pitch)
        wave = (k[:, None] * np.sin(2 * np.pi * hz * np.arange(1, 4)[:, None] * t[None, :])).sum(axis=0)
        out = np.float32(0.7) * wave.astype(np.float32) * _envelope(n, int(dur * SR), 0.006, 0.08, 3.0)
        return out.astype(np.float32, copy=False)

    def _synth_bass(self, pitch: int, dur: float) -> Audio:
        body = self._detuned("bass", pitch, dur, lambda k: 1.0 / k ** 1.5, 8, 0.0, 0.004, 0.06, 0.6, 1)
        return 0.5 * body + 0.35 * self._sub(pitch, dur)[: len(body)]
