"""Motif-based melodies, arpeggios and bell figures (all as (step, length, pitch, velocity))."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from music_studio.engines.studio import harmony
from music_studio.engines.studio.prompt import Plan

NoteSpec = tuple[float, float, int, float]


@dataclass(frozen=True)
class Motif:
    """A two-bar idea: onsets on an eighth grid with a stepwise contour in scale degrees."""

    onsets: tuple[int, ...]
    lengths: tuple[int, ...]
    degrees: tuple[int, ...]
    anchor: int
    answer_shift: int


def compose_motif(rng: np.random.Generator, energy: float, style: str) -> Motif:
    count = int(np.clip(round(4 + 5 * energy + rng.normal(0, 1)), 3, 10))
    if style == "chiptune":
        count = min(12, count + 3)
    slots = np.arange(0, 32, 2)
    weights = np.where(slots % 8 == 0, 3.0, np.where(slots % 4 == 0, 1.6, 1.0))
    weights[slots >= 28] *= 0.3  # leave room to breathe before the next motif
    picked = rng.choice(slots, size=count - 1, replace=False, p=weights / weights.sum())
    onsets = tuple(sorted({0, *(int(x) for x in picked)}))
    lengths = tuple(
        max(1, min(6, (onsets[i + 1] if i + 1 < len(onsets) else 32) - onsets[i])) for i in range(len(onsets))
    )
    degrees = [0]
    for _ in onsets[1:]:
        move = int(rng.choice([-2, -1, -1, 0, 1, 1, 2, 3, -3], p=[0.1, 0.2, 0.15, 0.08, 0.2, 0.15, 0.06, 0.03, 0.03]))
        degrees.append(int(np.clip(degrees[-1] + move, -4, 5)))
    return Motif(
        onsets,
        lengths,
        tuple(degrees),
        int(rng.choice([0, 2, 4, 7], p=[0.35, 0.25, 0.2, 0.2])),
        int(rng.choice([-1, 1, 2])),
    )


def degree_pitch(plan: Plan, degree: int, base: int = 60) -> int:
    steps = harmony.scale(plan.mode)
    octave, idx = divmod(degree, 7)
    tonic = base + plan.tonic - (12 if plan.tonic > 6 else 0)
    return tonic + steps[idx] + 12 * octave


def realise_motif(
    motif: Motif, phrase_bar: int, plan: Plan, pcs: list[int], ending: bool, tonic: int
) -> list[NoteSpec]:
    """The motif's notes that fall in one bar of a phrase, snapped to chord tones on strong beats."""
    half = phrase_bar % 2
    shift = motif.answer_shift if phrase_bar % 4 >= 2 else 0
    notes: list[NoteSpec] = []
    idx = [i for i, o in enumerate(motif.onsets) if (o >= 16) == bool(half)]
    for k, i in enumerate(idx):
        step = motif.onsets[i] - 16 * half
        length = float(motif.lengths[i])
        pitch = degree_pitch(plan, motif.anchor + motif.degrees[i] + shift)
        last = k == len(idx) - 1
        if step % 8 == 0 or (ending and last):
            # Phrases come to rest on the tonic whenever the harmony allows: that names the key.
            rest = [tonic] if tonic in pcs else [pcs[0]]
            pitch = harmony.nearest_in(pitch, pcs[:3] if not (ending and last) else rest)
        if ending and last:
            length = max(length, 16.0 - step)
        while pitch > 86:
            pitch -= 12
        while pitch < 60:
            pitch += 12
        vel = 0.8 if step % 8 == 0 else 0.68
        notes.append((float(step), min(length, 16.0 - step + 4), pitch, vel))
    return notes


def arpeggio(pcs: list[int], energy: float) -> list[NoteSpec]:
    """An upward chord-tone figure on eighths (or quarters when calm)."""
    tones = sorted(harmony.nearest_in(64 + i * 4, [pc]) for i, pc in enumerate(pcs))
    tones = tones + [tones[0] + 12]
    every = 2 if energy >= 0.4 else 4
    out: list[NoteSpec] = []
    for n, step in enumerate(range(0, 16, every)):
        pitch = tones[n % len(tones)] if (n // len(tones)) % 2 == 0 else tones[-1 - n % len(tones)]
        out.append((float(step), float(every) * 1.6, pitch, 0.5 if step % 4 else 0.6))
    return out


def bell_line(rng: np.random.Generator, pcs: list[int], energy: float) -> list[NoteSpec]:
    """Sparse high chord tones: a twinkle rather than a tune."""
    count = 1 + int(rng.random() < 0.3 + 0.5 * energy)
    steps = sorted(int(s) for s in rng.choice([0, 6, 8, 10, 12], size=count, replace=False))
    return [(float(s), 10.0, harmony.nearest_in(79 + int(rng.integers(-3, 6)), pcs), 0.45) for s in steps]
