"""Style tables: the defaults each style brings to a plan."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Style:
    name: str
    label: str
    keywords: tuple[str, ...]
    bpm: int
    major_probability: float
    chords: str
    bass: str
    pad: str | None
    extra: str | None
    lead: str | None
    drums: bool
    kit: str
    groove: str
    bass_pattern: str
    swing: float
    """Delay of off-beat subdivisions as a fraction of one subdivision."""
    swing_unit: int
    """Subdivision that swings: 16 (sixteenths) or 8 (eighths)."""
    energy: float
    brightness: float
    """0..1: how many harmonics the instruments keep (lo-fi and focus are dark)."""
    reverb: float
    sevenths: bool
    bars_per_chord: int
    texture: str | None = None
    pump: float = 0.0
    """Sidechain-style ducking depth of the harmonic bus on each beat."""


STYLES: dict[str, Style] = {
    "lofi": Style(
        "lofi", "Lo-Fi", ("lofi", "lo-fi", "lo fi", "chillhop", "study", "beats to", "hip hop", "hiphop",
                          "boom bap", "tape", "vinyl", "late night", "jazzy beats"),
        80, 0.35, "rhodes", "sub", None, None, "rhodes", True, "soft", "boombap", "lofi",
        0.22, 16, 0.45, 0.35, 0.25, True, 1, texture="vinyl",
    ),
    "ambient": Style(
        "ambient", "Ambient", ("ambient", "drone", "atmospheric", "ethereal", "meditation", "meditative",
                               "space", "spacey", "floating", "soundscape", "sleep", "new age", "evolving"),
        68, 0.5, "pad", "sub", "strings", "bell", "bell", False, "soft", "none", "drone",
        0.0, 16, 0.25, 0.3, 0.55, True, 2,
    ),
    "house": Style(
        "house", "House", ("house", "deep house", "edm", "club", "dance", "disco", "techno", "four on the floor",
                           "dancefloor", "garage"),
        124, 0.45, "stab", "synth_bass", None, "pluck", "synth", True, "electronic", "four", "house",
        0.08, 16, 0.75, 0.7, 0.2, False, 1, pump=0.45,
    ),
    "pop": Style(
        "pop", "Pop", ("pop", "radio", "catchy", "anthem", "indie", "synthpop", "synth-pop", "summer",
                       "feel good", "feel-good"),
        108, 0.75, "piano", "synth_bass", "pad", "pluck", "synth", True, "pop", "pop", "pop",
        0.0, 16, 0.7, 0.7, 0.2, False, 1,
    ),
    "jazz": Style(
        "jazz", "Jazz", ("jazz", "swing", "bebop", "bossa", "lounge", "cocktail", "smooth jazz", "trio",
                         "coffee shop", "cafe", "speakeasy"),
        100, 0.6, "piano", "upright", None, None, "rhodes", True, "brush", "jazz", "walking",
        0.33, 8, 0.55, 0.55, 0.25, True, 1,
    ),
    "cinematic": Style(
        "cinematic", "Cinematic", ("cinematic", "film", "movie", "score", "orchestral", "epic", "trailer",
                                   "soundtrack", "heroic", "adventure", "dramatic", "orchestra"),
        84, 0.4, "strings", "sub", "pad", "piano", "bell", True, "taiko", "cinematic", "cinematic",
        0.0, 16, 0.6, 0.55, 0.45, False, 2,
    ),
    "chiptune": Style(
        "chiptune", "Chiptune", ("chiptune", "chip", "8-bit", "8bit", "8 bit", "retro game", "video game",
                                 "arcade", "gameboy", "game boy", "nes", "pixel", "16-bit"),
        140, 0.7, "square", "triangle", None, None, "square", True, "chip", "chip", "chip",
        0.0, 16, 0.8, 0.8, 0.08, False, 1,
    ),
}

DEFAULT_STYLE = "lofi"

# Instrument words: the first form of each pair is what the user types, the second the synth voice.
INSTRUMENT_WORDS: tuple[tuple[str, str], ...] = (
    ("piano", "piano"), ("rhodes", "rhodes"), ("electric piano", "rhodes"), ("keys", "rhodes"),
    ("wurlitzer", "rhodes"), ("strings", "strings"), ("violin", "strings"), ("cello", "strings"),
    ("pad", "pad"), ("pads", "pad"), ("guitar", "pluck"), ("pluck", "pluck"), ("harp", "pluck"),
    ("bells", "bell"), ("bell", "bell"), ("glockenspiel", "bell"), ("music box", "bell"),
    ("celesta", "bell"), ("marimba", "bell"), ("synth", "synth"), ("synths", "synth"),
    ("synthesizer", "synth"), ("lead", "synth"),
)

CALM_WORDS = ("calm", "mellow", "chill", "relaxed", "relaxing", "peaceful", "soft", "gentle", "sleepy",
              "quiet", "slow", "lazy", "dreamy", "cozy", "cosy", "warm", "soothing", "tranquil", "focus")
ENERGETIC_WORDS = ("energetic", "upbeat", "driving", "intense", "powerful", "fast", "hype", "party",
                   "pumping", "bouncy", "lively", "exciting", "aggressive", "epic", "groovy")
MINOR_WORDS = ("dark", "sad", "melancholic", "melancholy", "moody", "somber", "sombre", "mysterious",
               "tense", "haunting", "gloomy", "night", "lonely", "nostalgic", "rainy", "bittersweet")
MAJOR_WORDS = ("happy", "bright", "joyful", "cheerful", "uplifting", "sunny", "hopeful", "playful",
               "fun", "positive", "triumphant", "summer", "morning")
