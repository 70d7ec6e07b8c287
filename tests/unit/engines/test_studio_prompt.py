"""Prompt understanding: plans are faithful to the words, deterministic, and never crash."""

from __future__ import annotations

import json

import pytest

from music_studio.engines.base import RenderRequest
from music_studio.engines.studio import StudioEngine
from music_studio.engines.studio.prompt import make_plan, make_title

ENGINE = StudioEngine()


def describe(prompt: str, **kwargs: object) -> dict[str, object]:
    request = RenderRequest(prompt=prompt, duration_seconds=int(kwargs.pop("duration", 30)), **kwargs)  # type: ignore[arg-type]
    return ENGINE.describe(request)


def test_engine_metadata() -> None:
    assert ENGINE.key == "studio"
    assert ENGINE.name == "Studio"
    assert isinstance(ENGINE.version, str) and ENGINE.version.count(".") == 2
    assert ENGINE.description
    caps = ENGINE.capabilities
    assert caps.modes == ("creation", "focus")
    assert caps.max_duration_seconds >= 300
    assert (caps.vocals, caps.lyrics, caps.stems, caps.languages) == (False, False, False, ())
    licence = ENGINE.licence
    assert (licence.licence_class, licence.commercial_use, licence.requires_attribution) == (
        "commercial_cleared",
        True,
        False,
    )


@pytest.mark.parametrize(
    ("prompt", "bpm"),
    [
        ("late night study lo-fi, mellow piano, 80 bpm", 80),
        ("house at 124BPM", 124),
        ("jazz, 96 beats per minute", 96),
        ("ambient 300 bpm", 180),
        ("pop 12 bpm", 50),
    ],
)
def test_tempo_is_read_from_the_prompt(prompt: str, bpm: int) -> None:
    assert describe(prompt)["bpm"] == bpm


@pytest.mark.parametrize(
    ("prompt", "key", "mode"),
    [
        ("lo-fi in D minor", "D", "minor"),
        ("pop song in F# major", "F#", "major"),
        ("cinematic, key of Bb minor", "Bb", "minor"),
        ("jazz in Eb", "Eb", None),
        ("sad piano in c# minor", "C#", "minor"),
        ("house in A min, 122 bpm", "A", "minor"),
    ],
)
def test_key_and_mode_are_read_from_the_prompt(prompt: str, key: str, mode: str | None) -> None:
    plan = describe(prompt)
    assert plan["key"] == key
    if mode is not None:
        assert plan["mode"] == mode


@pytest.mark.parametrize(
    ("prompt", "style"),
    [
        ("late night study lo-fi beats", "lofi"),
        ("ambient drone for meditation", "ambient"),
        ("deep house club track", "house"),
        ("catchy pop anthem", "pop"),
        ("smooth jazz trio in a cafe", "jazz"),
        ("epic cinematic trailer score", "cinematic"),
        ("8-bit chiptune video game level", "chiptune"),
    ],
)
def test_style_keywords(prompt: str, style: str) -> None:
    assert describe(prompt)["style"] == style


def test_style_tags_weigh_more_than_loose_words() -> None:
    assert describe("something for the evening", style_tags=("jazz",))["style"] == "jazz"
    assert describe("a calm song", style_tags=("Chiptune",))["style"] == "chiptune"


def test_mood_words_set_mode_and_energy() -> None:
    assert all(describe("dark moody house", seed=s)["mode"] == "minor" for s in range(6))
    assert all(describe("happy bright pop", seed=s)["mode"] == "major" for s in range(6))
    calm, lively = describe("calm mellow house"), describe("energetic upbeat house")
    assert float(calm["energy"]) < float(lively["energy"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("prompt", "voice"),
    [
        ("lo-fi with piano", "piano"),
        ("lo-fi with rhodes", "rhodes"),
        ("ambient strings", "strings"),
        ("jazz guitar", "pluck"),
        ("ambient bells", "bell"),
        ("pop with synth", "synth"),
    ],
)
def test_instrument_words_change_the_palette(prompt: str, voice: str) -> None:
    assert voice in describe(prompt)["instruments"]  # type: ignore[operator]


def test_negations() -> None:
    assert describe("lo-fi hip hop, no drums")["drums"] is False
    assert describe("lo-fi hip hop")["drums"] is True
    assert "piano" not in describe("jazz without piano")["instruments"]  # type: ignore[operator]
    assert describe("pop, no melody")["melody"] is False


def test_plan_is_deterministic_and_seed_dependent() -> None:
    prompt = "lofi chill beats"
    assert describe(prompt, seed=7) == describe(prompt, seed=7)
    keys = {(describe(prompt, seed=s)["key"], describe(prompt, seed=s)["bpm"]) for s in range(8)}
    assert len(keys) > 1


@pytest.mark.parametrize(
    "prompt",
    [
        "",
        "   ",
        "🎵🔥💤",
        "x" * 2000,
        "calme nuit 夜 lo-fi ☕ — доброй ночи",
        "in H minor",
        "999999 bpm",
        "0 bpm",
        "no no no without",
        "in",
        "A",
        "\x00\n\t",
    ],
)
def test_odd_prompts_never_crash(prompt: str) -> None:
    for mode in ("creation", "focus"):
        plan = describe(prompt, mode=mode, seed=2**31 - 1)
        json.dumps(plan)
        assert plan["style"] in ("lofi", "ambient", "house", "pop", "jazz", "cinematic", "chiptune")
        assert 50 <= int(plan["bpm"]) <= 180  # type: ignore[call-overload]


def test_titles() -> None:
    def title(prompt: str, given: str | None = None) -> str:
        request = RenderRequest(prompt=prompt, duration_seconds=10, title=given)
        return make_title(request, make_plan(request))

    assert title("late night study lo-fi, mellow piano, 80 bpm") == "Late Night Study"
    assert title("anything", "My Own Title") == "My Own Title"
    for prompt in ("", "🎵🎵", "80 bpm", "x" * 2000, "lofi", "in D minor, 90 bpm"):
        t = title(prompt)
        assert t and len(t) <= 60 and t == t.strip()
    assert "Drums" not in title("jazz trio, no drums")


def test_focus_plans_are_calm_and_without_melody() -> None:
    for prompt in ("deep focus ambient pads", "energetic house", "lofi study", "epic trailer"):
        plan = describe(prompt, mode="focus")
        assert plan["style"] in ("ambient", "lofi")
        assert plan["melody"] is False
        assert float(plan["energy"]) <= 0.3  # type: ignore[arg-type]
