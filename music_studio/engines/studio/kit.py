"""Synthesised drum one-shots (no samples), generated once per render from a seeded rng."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from music_studio.engines.studio.synth import SR, Audio


def _t(seconds: float) -> npt.NDArray[np.float64]:
    return np.arange(int(seconds * SR), dtype=np.float64) / SR


def _filtered(noise: npt.NDArray[np.float64], low: float | None, high: float | None = None) -> npt.NDArray[np.float64]:
    """Noise shaped by a second-order Butterworth magnitude response, applied in the frequency
    domain (zero phase is fine: the envelope is applied afterwards)."""
    spec = np.fft.rfft(noise)
    f = np.maximum(np.fft.rfftfreq(len(noise), 1.0 / SR), 1e-6)
    if low is not None:
        spec /= np.sqrt(1.0 + (low / f) ** 4)
    if high is not None:
        spec /= np.sqrt(1.0 + (f / high) ** 4)
    return np.fft.irfft(spec, len(noise))


def _kick(start_hz: float, end_hz: float, tau: float, length: float, click: float, rng: np.random.Generator) -> Audio:
    t = _t(length)
    freq = end_hz + (start_hz - end_hz) * np.exp(-t / 0.03)
    phase = 2 * np.pi * np.cumsum(freq) / SR
    body = np.sin(phase) * np.exp(-t / tau)
    hit = click * _filtered(rng.standard_normal(len(t)), 2000.0) * np.exp(-t / 0.004)
    return _finish(body + hit, drive=1.5)


def _snare(
    tone_hz: float,
    noise_tau: float,
    length: float,
    rng: np.random.Generator,
    band: tuple[float, float] = (1200.0, 9000.0),
    tone: float = 0.45,
) -> Audio:
    t = _t(length)
    body = tone * np.sin(2 * np.pi * tone_hz * t) * np.exp(-t / 0.05)
    noise = _filtered(rng.standard_normal(len(t)), *band) * np.exp(-t / noise_tau)
    return _finish(body + noise, drive=1.5)


def _hat(tau: float, length: float, rng: np.random.Generator, cutoff: float = 7000.0) -> Audio:
    t = _t(length)
    return _finish(_filtered(rng.standard_normal(len(t)), cutoff) * np.exp(-t / tau))


def _finish(x: npt.NDArray[np.float64], drive: float = 0.0) -> Audio:
    # No DC from the pitch sweeps: subtract the mean as a smooth bump (no step at either end).
    bump = np.hanning(len(x) + 2)[1:-1]
    x = x - x.mean() * bump / bump.mean()
    peak = float(np.max(np.abs(x))) or 1.0
    # Drums with a body are saturated once, at build time: more punch per dB of headroom and
    # less work for the master limiter. Cymbals and noise stay clean.
    x = np.tanh(drive * x / peak) / math.tanh(drive) if drive > 0 else x / peak
    fade = np.ones(len(x))
    tail = min(len(x), 200)
    fade[-tail:] = np.linspace(1.0, 0.0, tail)  # no click when the one-shot ends
    return (x * fade).astype(np.float32)


def _chip(kind: str, rng: np.random.Generator) -> Audio:
    """NES-style drums: stepped noise (sample-and-hold) with pitch falls."""
    if kind == "kick":
        t = _t(0.18)
        freq = 60 + 180 * np.exp(-t / 0.02)
        return _finish(np.sign(np.sin(2 * np.pi * np.cumsum(freq) / SR)) * np.exp(-t / 0.05) * 0.8)
    hold = 4 if kind == "snare" else 1
    length = 0.16 if kind == "snare" else 0.05
    n = int(length * SR)
    noise = np.repeat(rng.uniform(-1, 1, n // hold + 1), hold)[:n]
    return _finish(noise * np.exp(-_t(length) / (0.05 if kind == "snare" else 0.012)))


def build_kit(rng: np.random.Generator, brightness: float) -> dict[str, Audio]:
    """Every one-shot the patterns may ask for, levelled so the patterns' velocities balance."""
    hat_cut = 5000.0 + 4000.0 * brightness
    kit = {
        "kick": 0.9 * _kick(150, 52, 0.22, 0.45, 0.25, rng),
        "kick_soft": 0.85 * _kick(110, 50, 0.2, 0.4, 0.1, rng),
        "kick_808": 0.95 * _kick(170, 48, 0.3, 0.5, 0.3, rng),
        "snare": 0.55 * _snare(190, 0.12, 0.3, rng),
        "snare_soft": 0.42 * _snare(180, 0.1, 0.25, rng, (900.0, 6000.0), 0.6),
        "brush": 0.22 * _snare(200, 0.09, 0.2, rng, (2000.0, 8000.0), 0.05),
        "clap": 0.5 * _snare(900, 0.07, 0.25, rng, (900.0, 5000.0), 0.0),
        "hat": 0.22 * _hat(0.035, 0.12, rng, hat_cut),
        "hat_soft": 0.16 * _hat(0.03, 0.1, rng, hat_cut - 1500.0),
        "ride": 0.15 * _hat(0.35, 0.8, rng, 4000.0),
        "shaker": 0.12 * _hat(0.025, 0.08, rng, 4500.0),
        "taiko": 1.0 * _kick(95, 55, 0.35, 0.8, 0.35, rng),
        "tom": 0.6 * _kick(180, 120, 0.18, 0.4, 0.2, rng),
        "chip_kick": 0.7 * _chip("kick", rng),
        "chip_snare": 0.35 * _chip("snare", rng),
        "chip_hat": 0.15 * _chip("hat", rng),
    }
    return {name: wave.astype(np.float32) for name, wave in kit.items()}
