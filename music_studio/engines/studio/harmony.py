"""Scales, chord progressions and voice leading."""

from __future__ import annotations

import itertools

import numpy as np

MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)

# Scale-degree progressions (0 = tonic). All start on the tonic so the key is audible.
PROGRESSIONS: dict[str, tuple[tuple[int, ...], ...]] = {
    "major": ((0, 4, 5, 3), (0, 5, 3, 4), (0, 3, 4, 3), (0, 5, 1, 4), (0, 3, 0, 4), (0, 2, 3, 4)),
    "minor": ((0, 3, 4, 0), (0, 5, 3, 4), (0, 6, 5, 4), (0, 3, 5, 4), (0, 4, 0, 3), (0, 5, 0, 4)),
}
JAZZ_PROGRESSIONS: dict[str, tuple[tuple[int, ...], ...]] = {
    "major": ((0, 5, 1, 4), (0, 0, 1, 4), (0, 3, 1, 4), (0, 1, 4, 0)),
    "minor": ((0, 3, 1, 4), (0, 5, 1, 4), (0, 0, 3, 4)),
}
# Ambient harmony returns to the tonic every other chord: with no melody, that is what names the key.
AMBIENT_PROGRESSIONS: dict[str, tuple[tuple[int, ...], ...]] = {
    "major": ((0, 3, 0, 4), (0, 5, 0, 3), (0, 4, 0, 3), (0, 3, 0, 5)),
    "minor": ((0, 5, 0, 3), (0, 3, 0, 6), (0, 6, 0, 5), (0, 5, 0, 4)),
}


def scale(mode: str) -> tuple[int, ...]:
    return MAJOR if mode == "major" else MINOR


def degree_pc(tonic: int, mode: str, degree: int, leading_tone: bool = False) -> int:
    """Pitch class of a scale degree; in minor the 7th may be raised (harmonic minor) for the V chord."""
    steps = scale(mode)
    octave, idx = divmod(degree, 7)
    pc = tonic + steps[idx] + 12 * octave
    if leading_tone and mode == "minor" and idx == 6:
        pc += 1
    return pc % 12


def chord_pcs(tonic: int, mode: str, degree: int, sevenths: bool, dominant: bool) -> list[int]:
    """Stacked scale thirds on a degree; `dominant` raises the minor-key leading tone on V."""
    size = 4 if sevenths else 3
    raise_lt = dominant and degree % 7 == 4
    return [degree_pc(tonic, mode, degree + 2 * i, leading_tone=raise_lt) for i in range(size)]


def voicings(pcs: list[int], low: int, high: int) -> list[tuple[int, ...]]:
    """Every close or open voicing of the pitch classes inside [low, high]."""
    out: list[tuple[int, ...]] = []
    n = len(pcs)
    for inv in range(n):
        order = pcs[inv:] + pcs[:inv]
        for base in range(low - 12, high + 1):
            if base % 12 != order[0]:
                continue
            notes = [base]
            for pc in order[1:]:
                nxt = notes[-1] + 1
                while nxt % 12 != pc:
                    nxt += 1
                notes.append(nxt)
            if notes[0] >= low and notes[-1] <= high:
                out.append(tuple(notes))
    return out


def voice_lead(
    prev: tuple[int, ...] | None, pcs: list[int], low: int, high: int, rng: np.random.Generator
) -> tuple[int, ...]:
    """The voicing nearest the previous one (smallest total movement), ties broken by the rng."""
    options = voicings(pcs, low, high) or [tuple(sorted(low + (pc - low) % 12 for pc in pcs))]
    if prev is None:
        centre = (low + high) / 2
        costs = [abs(float(np.mean(v)) - centre) for v in options]
    else:
        costs = [_movement(prev, v) for v in options]
    best = min(costs)
    ties = [v for v, c in zip(options, costs, strict=True) if c <= best + 0.5]
    return ties[int(rng.integers(0, len(ties)))]


def _movement(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    if len(a) == len(b):
        return float(sum(abs(x - y) for x, y in zip(a, b, strict=True)))
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return float(
        min(
            sum(abs(x - y) for x, y in zip(short, combo, strict=True))
            for combo in itertools.combinations(long_, len(short))
        )
    ) + 2.0 * abs(len(a) - len(b))


def choose_progression(style: str, mode: str, rng: np.random.Generator) -> tuple[int, ...]:
    table = (
        JAZZ_PROGRESSIONS
        if style in ("jazz", "lofi")
        else (AMBIENT_PROGRESSIONS if style == "ambient" else PROGRESSIONS)
    )
    options = table[mode]
    return options[int(rng.integers(0, len(options)))]


def nearest_in(pitch: int, candidates: list[int]) -> int:
    """The candidate pitch (any octave of the given pitch classes) nearest to `pitch`."""
    best = pitch
    best_d = 99
    for pc in candidates:
        for octave in (-12, 0, 12):
            p = pitch - (pitch % 12) + pc + octave
            if abs(p - pitch) < best_d:
                best, best_d = p, abs(p - pitch)
    return best
