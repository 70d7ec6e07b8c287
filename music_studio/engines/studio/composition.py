"""Plan → score: sections, voice-led chords, bass, motif melodies, swung and humanised drums."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from music_studio.engines.studio import harmony, patterns
from music_studio.engines.studio.melody import arpeggio, bell_line, compose_motif, realise_motif
from music_studio.engines.studio.prompt import Plan, rng_for


@dataclass(frozen=True, slots=True)
class Event:
    time: float
    duration: float
    voice: str
    pitch: int
    velocity: float
    pan: float
    """Stereo position −1..1; for a chord, the half-width of its spread."""
    chord: tuple[int, ...] = ()
    strum: float = 0.0


@dataclass(frozen=True)
class Section:
    role: str
    start_bar: int
    bars: int


@dataclass(frozen=True)
class Score:
    events: list[Event]
    sections: list[Section]
    bar_seconds: float
    duration: float


# Per role: (intensity, chords, pad, bass, drums ("full"/"light"/"none"), extra, melody)
ROLES: dict[str, tuple[float, bool, bool, bool, str, bool, str | None]] = {
    "intro": (0.7, True, True, False, "light", False, None),
    "groove": (0.9, True, True, True, "full", True, None),
    "theme": (1.0, True, True, True, "full", False, "A"),
    "themeB": (1.0, True, False, True, "full", True, "B"),
    "break": (0.75, True, True, False, "none", True, "A"),
    "outro": (0.8, True, True, True, "light", False, None),
    "flow": (0.8, True, True, True, "full", True, None),
}
MAX_NOTE = 7.5  # seconds: caps note length so the renderer's overlap-add tail stays bounded


def layout(n_bars: int, focus: bool) -> list[Section]:
    """Sections whose lengths scale with the track: short tracks get short intros."""
    if focus:
        return [Section("flow", 0, n_bars)]
    if n_bars <= 4:
        return [Section("theme", 0, n_bars)]
    intro = min(4, max(1, round(n_bars * 0.1)))
    outro = min(4, max(1, round(n_bars * 0.08)))
    body = n_bars - intro - outro
    # Short tracks get to the tune at once; longer ones build, break and return.
    order = ["theme", "themeB", "theme"] if body <= 12 else ["groove", "theme", "themeB", "break", "theme", "themeB"]
    out = [Section("intro", 0, intro)]
    bar, i = intro, 0
    while bar < intro + body:
        length = min(4, intro + body - bar)
        if 0 < intro + body - bar - length < 2:
            length = intro + body - bar  # never leave a one-bar stub phrase
        role = order[i % len(order)] if i < len(order) else order[1 + (i - 1) % (len(order) - 1)]
        out.append(Section(role, bar, length))
        bar, i = bar + length, i + 1
    out.append(Section("outro", bar, outro))
    return out


class _Writer:
    """Accumulates events with swing and humanisation applied in one place."""

    def __init__(self, plan: Plan, rng: np.random.Generator, total: float) -> None:
        self.plan, self.rng, self.total = plan, rng, total
        self.step = 60.0 / plan.bpm / 4.0
        self.events: list[Event] = []

    def at(self, bar: int, step: float, bar_seconds: float) -> float:
        offset = 0.0
        if self.plan.swing > 0:
            unit = 1 if self.plan.swing_unit == 16 else 2
            if int(step) % (2 * unit) == unit:
                offset = self.plan.swing * unit * self.step
        return bar * bar_seconds + step * self.step + offset

    def add(
        self,
        t: float,
        dur: float,
        voice: str,
        pitch: int,
        vel: float,
        pan: float,
        jitter: float = 0.004,
        chord: tuple[int, ...] = (),
        strum: float = 0.0,
    ) -> None:
        t = max(0.0, t + (float(self.rng.normal(0.0, jitter)) if jitter > 0 else 0.0))
        if t >= self.total - 0.02:
            return
        vel = vel * (1.0 + 0.06 * float(self.rng.standard_normal()))
        dur = min(dur, MAX_NOTE, self.total - t)
        self.events.append(Event(t, max(dur, 0.03), voice, pitch, min(1.0, max(0.05, vel)), pan, chord, strum))


def compose(plan: Plan, duration: float, variant: int = 0) -> Score:
    """The whole score for `duration` seconds; `variant` re-plans focus segments."""
    rng = rng_for("score", plan.prompt_digest, plan.seed, plan.focus, variant)
    style = plan.style_def
    bar_seconds = 4 * 60.0 / plan.bpm
    n_bars = max(1, math.ceil(duration / bar_seconds - 0.25))
    sections = layout(n_bars, plan.focus)
    w = _Writer(plan, rng, duration)
    progression = harmony.choose_progression(plan.style, plan.mode, rng)
    rot = variant % len(progression)
    progression = progression[rot:] + progression[:rot]
    per_chord = style.bars_per_chord
    if n_bars < 2 * len(progression) * per_chord:
        per_chord = 1  # short cues move faster, so the whole progression (and the key) is heard
    dominant = plan.style != "ambient"  # a raised leading tone on V is the clearest minor-key cue

    # Every section restarts the progression, so each one opens on the tonic chord.
    in_section = [bar - sec.start_bar for sec in sections for bar in range(sec.start_bar, sec.start_bar + sec.bars)]
    chords: list[list[int]] = []
    for bar in range(n_bars):
        degree = progression[(in_section[bar] // per_chord) % len(progression)]
        if not plan.focus and bar == n_bars - 1 and n_bars > 2:
            degree = 0  # end on the tonic
        chords.append(harmony.chord_pcs(plan.tonic, plan.mode, degree, style.sevenths, dominant))

    motif_a = compose_motif(rng, plan.energy, plan.style)
    motif_b = compose_motif(rng, plan.energy, plan.style)
    comp_options = patterns.COMPING.get(_comp_kind(plan.chords), patterns.COMPING["sustain"])
    comp = comp_options[int(rng.integers(0, len(comp_options)))]
    kit = patterns.KITS[style.kit]
    groove = patterns.DRUMS["focus" if plan.focus else style.groove] if plan.drums else {}
    bass_pattern = patterns.BASS["focus" if plan.focus and plan.style == "lofi" else style.bass_pattern]
    prev_voicing: tuple[int, ...] | None = None
    prev_pad: tuple[int, ...] | None = None

    for section in sections:
        intensity, has_chords, has_pad, has_bass, drum_mode, has_extra, melody = ROLES[section.role]
        intensity *= 0.75 + 0.35 * plan.energy
        for bar in range(section.start_bar, section.start_bar + section.bars):
            pcs = chords[bar]
            root = pcs[0]
            last_bar = bar == n_bars - 1 and not plan.focus
            new_chord = in_section[bar] % per_chord == 0 or last_bar
            if has_chords and new_chord:
                prev_voicing = harmony.voice_lead(prev_voicing, pcs, 50, 74, rng)
                _write_chords(w, plan, bar, bar_seconds, prev_voicing, comp, intensity, per_chord, last_bar)
            if has_pad and plan.pad and new_chord:
                prev_pad = harmony.voice_lead(prev_pad, pcs[:3], 55, 79, rng)
                span = (per_chord if not last_bar else 1) * bar_seconds
                # Held past the next chord's attack, so chord changes swell rather than dip.
                w.add(
                    bar * bar_seconds,
                    span + 0.6,
                    plan.pad,
                    prev_pad[0],
                    0.5 * intensity,
                    0.6,
                    jitter=0.0,
                    chord=prev_pad,
                )
            if has_bass and plan.bass and not last_bar:
                nxt = chords[min(bar + 1, n_bars - 1)][0]
                _write_bass(w, plan, bar, bar_seconds, pcs, nxt, bass_pattern, intensity, rng)
            elif plan.bass and last_bar:
                w.add(bar * bar_seconds, duration, plan.bass, 36 + root, 0.8 * intensity, 0.0, jitter=0.0)
            if has_extra and plan.extra and not last_bar:
                notes = (
                    bell_line(rng, pcs, plan.energy)
                    if plan.extra == "bell"
                    else arpeggio(pcs, plan.energy if not plan.focus else 0.15)
                )
                for step, length, pitch, vel in notes:
                    w.add(w.at(bar, step, bar_seconds), length * w.step, plan.extra, pitch, vel * intensity, -0.4)
            if melody and plan.melody and plan.lead and not last_bar:
                phrase_bar = bar - section.start_bar
                motif = motif_a if melody == "A" else motif_b
                ending = phrase_bar == section.bars - 1
                for step, length, pitch, vel in realise_motif(motif, phrase_bar, plan, pcs, ending, plan.tonic):
                    w.add(w.at(bar, step, bar_seconds), length * w.step, plan.lead, pitch, vel * intensity, 0.15)
            if groove and drum_mode != "none" and not last_bar:
                # A fill in the last bar before the next section marks the phrase boundary.
                fill = (
                    drum_mode == "full"
                    and not plan.focus
                    and section.bars >= 4
                    and bar == section.start_bar + section.bars - 1
                )
                _write_drums(w, bar, bar_seconds, groove, kit, drum_mode, intensity, plan, fill)
    w.events.sort(key=lambda e: (e.time, e.voice, e.pitch))
    return Score(w.events, sections, bar_seconds, duration)


def _comp_kind(voice: str) -> str:
    return {"rhodes": "rhodes", "piano": "piano", "stab": "stab", "pluck": "pluck", "square": "square"}.get(
        voice, "sustain"
    )


def _write_chords(
    w: _Writer,
    plan: Plan,
    bar: int,
    bar_seconds: float,
    voicing: tuple[int, ...],
    comp: tuple[tuple[int, int, float], ...],
    intensity: float,
    per_chord: int,
    last_bar: bool,
) -> None:
    kind = _comp_kind(plan.chords)
    if plan.style == "jazz" and kind == "piano" and not last_bar:
        comp = patterns.COMPING["jazz"][bar % 3]
    hits = ((0, 16, 0.7),) if last_bar else comp
    strum = 0.012 if kind in ("piano", "rhodes", "pluck") else 0.0
    for b in range(1 if last_bar else per_chord):
        if kind == "sustain" and b > 0:
            break
        for step, length, vel in hits:
            t = w.at(bar + b, step, bar_seconds)
            dur = length * w.step if kind != "sustain" else per_chord * bar_seconds
            if last_bar:
                dur = w.total - t
            w.add(t, dur, plan.chords, voicing[0], vel * intensity, 0.35, chord=voicing, strum=strum)


def _write_bass(
    w: _Writer,
    plan: Plan,
    bar: int,
    bar_seconds: float,
    pcs: list[int],
    next_root: int,
    pattern: tuple[tuple[int, int, int, float], ...],
    intensity: float,
    rng: np.random.Generator,
) -> None:
    # A drone bass holds the tonic under every chord (a pedal), which anchors the key.
    root = 36 + (plan.tonic if plan.style_def.bass_pattern == "drone" else pcs[0])
    if root > 45:
        root -= 12
    if plan.style_def.bass_pattern == "walking" and not plan.focus:
        target = 36 + next_root + (-12 if 36 + next_root > 45 else 0)
        third = harmony.nearest_in(root + 4, [pcs[1]])
        fifth = harmony.nearest_in(root + 7, [pcs[2]])
        approach = target + (1 if rng.random() < 0.5 else -1)
        for beat, pitch in enumerate((root, third, fifth, approach)):
            w.add(
                w.at(bar, beat * 4, bar_seconds),
                3.6 * w.step,
                plan.bass or "upright",
                pitch,
                (0.85 if beat == 0 else 0.7) * intensity,
                0.0,
            )
        return
    for step, length, tone, vel in pattern:
        if tone == 7:
            pitch = root + 12
        elif tone in (1, 2):
            pitch = harmony.nearest_in(root + (4 if tone == 1 else 7), [pcs[tone]])
        else:
            pitch = root
        w.add(
            w.at(bar, step, bar_seconds),
            length * w.step * 0.92,
            plan.bass or "sub",
            pitch,
            vel * intensity,
            0.0,
            jitter=0.002,
        )


def _write_drums(
    w: _Writer,
    bar: int,
    bar_seconds: float,
    groove: dict[str, tuple[tuple[int, ...], float]],
    kit: dict[str, str],
    mode: str,
    intensity: float,
    plan: Plan,
    fill: bool = False,
) -> None:
    fill_voice = kit.get("snare") or kit.get("clap") or kit.get("tom")
    for piece, (steps, vel) in groove.items():
        if mode == "light" and piece not in ("hat", "ride", "shaker", "kick"):
            continue
        if piece == "shaker" and plan.energy < 0.35:
            continue
        voice = kit.get(piece)
        if voice is None:
            continue
        pan = {"hat": 0.3, "ride": 0.35, "shaker": -0.35, "tom": -0.2}.get(piece, 0.0)
        tight = piece in ("kick", "taiko") and plan.style in ("house", "chiptune")
        level = vel * intensity * (0.6 if mode == "light" else 1.0)
        for step in steps:
            if fill and step >= 12 and voice == fill_voice:
                continue
            # On-beat accents (strongest on hats) keep the pulse on the beat, not on the eighths.
            accent = 1.0 if step % 4 == 0 else (0.55 if piece in ("hat", "ride", "shaker") else 0.85)
            w.add(w.at(bar, step, bar_seconds), 0.5, voice, 0, level * accent, pan, jitter=0.0 if tight else 0.004)
    if fill and fill_voice:
        for i, step in enumerate((12, 13, 14, 15) if plan.energy >= 0.5 else (12, 14, 15)):
            w.add(w.at(bar, step, bar_seconds), 0.5, fill_voice, 0, intensity * (0.45 + 0.12 * i), 0.1)
