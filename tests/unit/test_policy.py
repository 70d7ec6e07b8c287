from __future__ import annotations

import pytest

from music_studio.policy import refusal_reason


@pytest.mark.parametrize(
    "prompt",
    [
        "a song in the style of Taylor Swift",
        "make it sound like DAFT PUNK",
        "lo-fi like nujabes",
        "Beyoncé vocals over trap drums",
        "cover of the-beatles",
    ],
)
def test_imitating_named_artists_is_refused(prompt: str) -> None:
    reason = refusal_reason(prompt, None, ())
    assert reason is not None and "named real artist" in reason


def test_artist_in_title_or_tags_is_refused() -> None:
    assert refusal_reason("chill beat", "like Drake", ()) is not None
    assert refusal_reason("chill beat", None, ("style of radiohead",)) is not None


@pytest.mark.parametrize(
    "prompt",
    ["late night study lo-fi, mellow piano, 80 bpm", "a queen's march, cinematic", "prince of calm ambient", "🎹 雨"],
)
def test_ordinary_prompts_pass(prompt: str) -> None:
    assert refusal_reason(prompt, None, ()) is None
