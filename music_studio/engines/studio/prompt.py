"""Prompt understanding: request → Plan, with no network and no models."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from music_studio.engines.base import RenderRequest
from music_studio.engines.studio.styles import (
    CALM_WORDS,
    DEFAULT_STYLE,
    ENERGETIC_WORDS,
    INSTRUMENT_WORDS,
    MAJOR_WORDS,
    MINOR_WORDS,
    STYLES,
    Style,
)

NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_LETTER_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_BPM_RE = re.compile(r"(\d{2,3}(?:\.\d+)?)\s*(?:bpm|beats per minute|beats a minute)", re.IGNORECASE)
_KEY_RE = re.compile(
    r"(?:\b(?:in|key of|key)\s+|\b)([A-Ga-g])(\s?(?:#|♯|b|♭|sharp|flat))?\s*(major|minor|maj|min|m)?(?![\w#♯♭])",
)
_NEGATION_RE = re.compile(r"\b(?:no|without|minus|sans|zero|not any)\s+([\w\- ]{2,30})", re.IGNORECASE)
_WORD_RE = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")
_MAX_PROMPT = 2000


def rng_for(*parts: object) -> np.random.Generator:
    """A generator seeded from sha256 of the parts: stable across processes, unlike hash()."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8", "replace")).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "little"))


@dataclass(frozen=True)
class Plan:
    style: str
    bpm: int
    tonic: int
    """Pitch class of the key's tonic, 0 = C."""
    mode: str
    seed: int
    energy: float
    brightness: float
    drums: bool
    melody: bool
    chords: str
    bass: str | None
    pad: str | None
    extra: str | None
    lead: str | None
    swing: float
    swing_unit: int
    reverb: float
    focus: bool
    prompt_digest: str
    """sha256 of the prompt: every later random choice is seeded from it."""

    @property
    def key_name(self) -> str:
        return NOTE_NAMES[self.tonic]

    @property
    def style_def(self) -> Style:
        return STYLES[self.style]

    @property
    def instruments(self) -> list[str]:
        names: list[str] = []
        for voice in (self.chords, self.pad, self.extra, self.lead if self.melody else None, self.bass):
            if voice is not None and voice not in names:
                names.append(voice)
        return names

    def summary(self) -> dict[str, Any]:
        return {
            "style": self.style,
            "bpm": self.bpm,
            "key": self.key_name,
            "mode": self.mode,
            "seed": self.seed,
            "instruments": self.instruments,
            "drums": self.drums,
            "melody": self.melody,
            "energy": round(self.energy, 2),
            "swing": round(self.swing, 2),
        }


def _has(text: str, word: str) -> bool:
    return re.search(r"(?<![\w])" + re.escape(word) + r"(?![\w])", text) is not None


def _negated(text: str) -> set[str]:
    """Words that follow a negation ("no drums", "without piano and bass")."""
    out: set[str] = set()
    for match in _NEGATION_RE.finditer(text):
        for word in re.split(r"[\s,]+|\band\b|\bor\b", match.group(1).lower()):
            if word:
                out.add(word)
                out.add(word.rstrip("s"))
    return out


def _choose_style(text: str, tags: tuple[str, ...], focus: bool) -> str:
    scores = dict.fromkeys(STYLES, 0.0)
    tag_text = " ".join(t.lower() for t in tags)
    for name, style in STYLES.items():
        for rank, kw in enumerate(style.keywords):
            if _has(text, kw):
                # The first keywords are genre names; later ones are looser descriptive words.
                scores[name] += (2.0 if rank < 2 else 1.0) + 0.1 * len(kw.split())
            if _has(tag_text, kw) or tag_text.strip() == name:
                scores[name] += 3.0
    best = max(scores, key=lambda k: (scores[k], k == DEFAULT_STYLE))
    chosen = best if scores[best] > 0 else DEFAULT_STYLE
    if focus and chosen not in ("ambient", "lofi"):
        chosen = "ambient" if chosen == "cinematic" else "lofi"
    return chosen


def _parse_key(prompt: str) -> tuple[int, str | None] | None:
    for match in _KEY_RE.finditer(prompt):
        letter, accidental, mode_word = match.group(1), match.group(2), match.group(3)
        explicit = match.group(0).lower().startswith(("in ", "key"))
        if mode_word is None and not (explicit and letter.isupper()):
            continue
        if mode_word == "m" and not letter.isupper():
            continue
        if letter.islower() and not explicit and mode_word not in ("major", "minor"):
            continue
        pc = _LETTER_PC[letter.upper()]
        acc = (accidental or "").strip().lower()
        if acc in ("#", "♯", "sharp"):
            pc += 1
        elif acc in ("b", "♭", "flat"):
            pc -= 1
        mode = None if mode_word is None else ("major" if mode_word in ("major", "maj") else "minor")
        return pc % 12, mode
    return None


def make_plan(request: RenderRequest) -> Plan:
    prompt = (request.prompt or "")[:_MAX_PROMPT]
    text = " ".join(_WORD_RE.findall(prompt.lower().replace("lo-fi", "lofi").replace("8-bit", "8bit")))
    text = f"{text} {prompt.lower()}"
    focus = request.mode == "focus"
    digest = hashlib.sha256(prompt.encode("utf-8", "replace")).hexdigest()
    rng = rng_for("plan", digest, request.seed, request.mode)
    negated = _negated(prompt)

    style_name = _choose_style(text, tuple(request.style_tags), focus)
    style = STYLES[style_name]

    bpm_match = _BPM_RE.search(prompt)
    energy = style.energy
    calm = sum(_has(text, w) for w in CALM_WORDS)
    lively = sum(_has(text, w) for w in ENERGETIC_WORDS)
    energy += 0.12 * min(lively, 3) - 0.1 * min(calm, 3)
    if bpm_match:
        bpm = int(round(float(bpm_match.group(1))))
    else:
        bpm = style.bpm + int(rng.integers(-4, 5)) + (6 if lively > calm else -4 if calm > lively else 0)
    bpm = int(min(180, max(50, bpm)))

    dark = sum(_has(text, w) for w in MINOR_WORDS)
    bright = sum(_has(text, w) for w in MAJOR_WORDS)
    key = _parse_key(prompt)
    major_p = style.major_probability + 0.35 * (bright - dark)
    mode_draw = rng.random()
    tonic_draw = int(rng.integers(0, 12))
    if key is not None and key[1] is not None:
        mode = key[1]
    elif bright != dark:
        mode = "major" if bright > dark else "minor"  # an explicit mood word decides
    else:
        mode = "major" if mode_draw < min(0.95, max(0.05, major_p)) else "minor"
    tonic = key[0] if key is not None else tonic_draw

    voices: dict[str, str | None] = {
        "chords": style.chords,
        "pad": style.pad,
        "extra": style.extra,
        "lead": style.lead,
    }
    mentioned: list[str] = []
    for word, voice in INSTRUMENT_WORDS:
        if _has(text, word) and word not in negated and word.rstrip("s") not in negated:
            if voice not in mentioned:
                mentioned.append(voice)
    harmonic = [v for v in mentioned if v in ("piano", "rhodes", "pluck", "strings", "pad", "synth")]
    if harmonic:
        voices["chords"] = "pad" if harmonic[0] == "synth" else harmonic[0]
    if "strings" in mentioned and voices["chords"] != "strings":
        voices["pad"] = "strings"
    if "pad" in mentioned and voices["chords"] != "pad":
        voices["pad"] = "pad"
    if "bell" in mentioned:
        voices["extra"] = "bell"
    elif len(harmonic) > 1 and harmonic[1] not in ("strings", "pad"):
        voices["extra"] = harmonic[1]
    if "synth" in mentioned and not focus:
        voices["lead"] = "synth"
    for role, assigned in list(voices.items()):
        if assigned is not None and ({assigned, _voice_word(assigned)} & negated):
            voices[role] = None
    if voices["chords"] is None:
        voices["chords"] = next(v for v in ("pad", "piano", "rhodes", "pluck") if _voice_word(v) not in negated)

    drums = style.drums and not ({"drum", "drums", "percussion", "beat", "beats"} & negated)
    drums = drums and not _has(text, "drumless")
    melody = not ({"melody", "lead", "leads"} & negated) and voices["lead"] is not None
    bass: str | None = style.bass if "bass" not in negated else None
    brightness = style.brightness + 0.1 * (bright - dark) + 0.05 * (lively - calm)
    if focus:
        energy = min(energy, 0.3)
        brightness = min(brightness, 0.35) * 0.5  # dark voices and dark cymbals: unobtrusive
        melody = False
        drums = drums and style_name == "lofi"
    return Plan(
        style=style_name,
        bpm=bpm,
        tonic=tonic,
        mode=mode,
        seed=int(request.seed),
        energy=float(min(1.0, max(0.05, energy))),
        brightness=float(min(1.0, max(0.1, brightness))),
        drums=drums,
        melody=melody,
        chords=voices["chords"] or "pad",
        bass=bass,
        pad=voices["pad"],
        extra=voices["extra"],
        lead=voices["lead"],
        swing=style.swing,
        swing_unit=style.swing_unit,
        reverb=style.reverb + (0.15 if focus else 0.0),
        focus=focus,
        prompt_digest=digest,
    )


def _voice_word(voice: str) -> str:
    return {"pluck": "guitar", "bell": "bells", "stab": "synth", "square": "synth"}.get(voice, voice)


_TITLE_STOP = {
    "bpm",
    "in",
    "at",
    "with",
    "and",
    "a",
    "an",
    "the",
    "of",
    "for",
    "to",
    "track",
    "song",
    "music",
    "beat",
    "beats",
    "tune",
    "some",
    "style",
    "vibe",
    "vibes",
    "instrumental",
    "major",
    "minor",
    "key",
    "no",
    "without",
    "please",
    "make",
    "me",
    "create",
    "generate",
    "like",
    "feel",
    "feeling",
    "type",
}


def make_title(request: RenderRequest, plan: Plan) -> str:
    """request.title, or a few capitalised words from the prompt's first clause."""
    if request.title and request.title.strip():
        return request.title.strip()[:200]
    style_words = {kw for s in STYLES.values() for kw in s.keywords if " " not in kw} | set(STYLES)
    style_words -= {"space", "summer", "study", "film", "sleep"}
    negated = _negated(request.prompt or "")
    clauses = re.split(r"[,;.!?:()\[\]|/\n]+|\s[-–—]\s", request.prompt or "")
    for clause in clauses:
        words = [w for w in _WORD_RE.findall(clause) if not any(ch.isdigit() for ch in w)]
        kept = [
            w
            for w in words
            if w.lower() not in _TITLE_STOP
            and w.lower() not in style_words
            and w.lower() not in negated
            and not (len(w) == 1 and w.upper() in _LETTER_PC)
        ]
        if kept:
            if len(kept) == 1:
                kept.append(plan.style_def.label)
            title = " ".join(w[:1].upper() + w[1:] for w in kept[:5])
            while len(title) > 60 and " " in title:
                title = title.rsplit(" ", 1)[0]
            return title[:60]
    nouns = ("Sketch", "Drift", "Reverie", "Study", "Hours", "Horizon", "Glow", "Echoes")
    return f"{plan.style_def.label} {nouns[plan.seed % len(nouns)]}"
