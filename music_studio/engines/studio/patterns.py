"""Per-style rhythmic patterns on a 16-step bar: drums, bass and chord rhythm."""

from __future__ import annotations

# piece -> (steps, velocity). Kicks sit on the beats so the pulse (and the tempo) is unambiguous.
DRUMS: dict[str, dict[str, tuple[tuple[int, ...], float]]] = {
    "boombap": {
        "kick": ((0, 7, 10), 0.95),
        "snare": ((4, 12), 0.8),
        "hat": ((0, 2, 4, 6, 8, 10, 12, 14), 0.35),
        "shaker": ((3, 11), 0.15),
    },
    "four": {
        "kick": ((0, 4, 8, 12), 1.0),
        "clap": ((4, 12), 0.7),
        "hat": ((2, 6, 10, 14), 0.5),
        "shaker": ((1, 3, 5, 7, 9, 11, 13, 15), 0.16),
    },
    "pop": {
        "kick": ((0, 6, 8), 0.95),
        "snare": ((4, 12), 0.85),
        "hat": ((0, 2, 4, 6, 8, 10, 12, 14), 0.38),
    },
    "jazz": {
        "ride": ((0, 4, 6, 8, 12, 14), 0.42),
        "hat": ((4, 12), 0.3),
        "kick": ((0, 8), 0.55),
        "snare": ((10,), 0.2),
    },
    "cinematic": {
        "taiko": ((0, 8), 0.95),
        "tom": ((4, 12, 14), 0.5),
        "shaker": ((2, 6, 10, 14), 0.12),
    },
    "chip": {
        "kick": ((0, 4, 8, 12), 0.9),
        "snare": ((4, 12), 0.65),
        "hat": ((0, 2, 4, 6, 8, 10, 12, 14), 0.3),
    },
    "focus": {
        "kick": ((0, 8, 10), 0.75),
        "snare": ((4, 12), 0.4),
        "hat": ((0, 2, 4, 6, 8, 10, 12, 14), 0.16),
    },
}

# The kit each style's drums are drawn from: piece name -> synth one-shot name.
KITS: dict[str, dict[str, str]] = {
    "soft": {"kick": "kick_soft", "snare": "snare_soft", "hat": "hat_soft", "shaker": "shaker"},
    "electronic": {"kick": "kick_808", "clap": "clap", "hat": "hat", "shaker": "shaker"},
    "pop": {"kick": "kick", "snare": "snare", "hat": "hat"},
    "brush": {"ride": "ride", "hat": "hat_soft", "kick": "kick_soft", "snare": "brush"},
    "taiko": {"taiko": "taiko", "tom": "tom", "shaker": "shaker"},
    "chip": {"kick": "chip_kick", "snare": "chip_snare", "hat": "chip_hat"},
}

# Bass: (step, length in steps, chord-tone index (0 root, 1 third, 2 fifth, 7 octave), velocity).
BASS: dict[str, tuple[tuple[int, int, int, float], ...]] = {
    "lofi": ((0, 6, 0, 0.9), (7, 2, 0, 0.6), (10, 5, 2, 0.75)),
    "house": ((2, 2, 0, 0.85), (6, 2, 0, 0.85), (10, 2, 0, 0.85), (14, 2, 7, 0.8)),
    "pop": (
        (0, 2, 0, 0.9),
        (2, 2, 0, 0.6),
        (4, 2, 0, 0.7),
        (6, 2, 0, 0.6),
        (8, 2, 0, 0.85),
        (10, 2, 0, 0.6),
        (12, 2, 2, 0.7),
        (14, 2, 0, 0.6),
    ),
    "drone": ((0, 16, 0, 0.8),),
    "cinematic": ((0, 8, 0, 0.9), (8, 8, 0, 0.8)),
    "chip": (
        (0, 2, 0, 0.9),
        (2, 2, 7, 0.7),
        (4, 2, 0, 0.8),
        (6, 2, 7, 0.7),
        (8, 2, 0, 0.9),
        (10, 2, 7, 0.7),
        (12, 2, 2, 0.8),
        (14, 2, 7, 0.7),
    ),
    "focus": ((0, 14, 0, 0.8),),
    "walking": ((0, 4, 0, 0.85), (4, 4, 1, 0.7), (8, 4, 2, 0.75), (12, 4, 0, 0.7)),
}

# Chord rhythm: (step, length in steps, velocity); `None` length means "until the next chord".
COMPING: dict[str, tuple[tuple[tuple[int, int, float], ...], ...]] = {
    "rhodes": (((0, 10, 0.7), (10, 6, 0.55)), ((0, 6, 0.7), (6, 10, 0.6)), ((0, 16, 0.7),)),
    "piano": (((0, 8, 0.7), (8, 8, 0.6)), ((0, 6, 0.7), (6, 4, 0.55), (10, 6, 0.6)), ((0, 16, 0.7),)),
    "stab": (((2, 2, 0.7), (6, 2, 0.7), (10, 2, 0.7), (14, 2, 0.7)), ((3, 2, 0.7), (6, 2, 0.65), (10, 3, 0.7))),
    "pluck": (((0, 4, 0.7), (6, 4, 0.6), (10, 6, 0.6)), ((0, 8, 0.7), (8, 8, 0.6))),
    "square": (((0, 4, 0.6), (4, 4, 0.5), (8, 4, 0.6), (12, 4, 0.5)),),
    "sustain": (((0, 16, 0.65),),),
    "jazz": (((0, 5, 0.6), (6, 4, 0.5), (14, 2, 0.45)), ((2, 4, 0.55), (8, 6, 0.55)), ((0, 3, 0.6), (10, 6, 0.55))),
}
