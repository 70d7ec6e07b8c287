"""Content policy decided at submit time: a refused job is terminal and says why."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Named real artists whose imitation we refuse. Matching is on whole words after Unicode
# normalisation, so "Taylor Swift", "TAYLOR  SWIFT" and "taylor-swift" all match.
REAL_ARTISTS = (
    "taylor swift", "beyonce", "drake", "the beatles", "beatles", "ed sheeran", "adele",
    "billie eilish", "ariana grande", "kanye west", "eminem", "rihanna", "bruno mars",
    "lady gaga", "michael jackson", "elvis presley", "madonna", "prince", "david bowie",
    "queen", "freddie mercury", "coldplay", "radiohead", "daft punk", "the weeknd",
    "dua lipa", "justin bieber", "post malone", "kendrick lamar", "jay-z", "bob dylan",
    "bob marley", "frank sinatra", "whitney houston", "mariah carey", "celine dion",
    "shakira", "bad bunny", "olivia rodrigo", "harry styles", "lana del rey", "metallica",
    "nirvana", "led zeppelin", "pink floyd", "the rolling stones", "abba", "aphex twin",
    "hans zimmer", "john williams", "ludovico einaudi", "max richter", "nujabes", "avicii",
    "calvin harris", "skrillex", "deadmau5", "tame impala", "arctic monkeys", "imagine dragons",
    "sabrina carpenter", "chappell roan", "travis scott", "sza", "doja cat", "lizzo",
)  # fmt: skip

_IMITATION = (
    r"(?:in the style of|style of|sounds? like|sounding like|like|by|cover of|voice of|imitat\w*|mimic\w*|copy\w*|as)"
)
_PATTERN = re.compile(
    rf"\b{_IMITATION}\s+(?P<artist>{'|'.join(re.escape(a) for a in REAL_ARTISTS)})\b"
    rf"|\b(?P<bare>{'|'.join(re.escape(a) for a in REAL_ARTISTS if ' ' in a or len(a) > 6)})\b"
)


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = re.sub(r"[\s_\-]+", " ", text)
    return text.replace(" z", "-z") if "jay z" in text else text


def refusal_reason(prompt: str, title: str | None, style_tags: Iterable[str]) -> str | None:
    """Why a request is refused, or None when it may be rendered."""
    text = _normalise(" | ".join([prompt, title or "", *style_tags]))
    match = _PATTERN.search(text)
    if match is None:
        return None
    artist = (match.group("artist") or match.group("bare")).title()
    return (
        f"Requests to imitate a named real artist are not allowed (found: {artist}). "
        "Describe the genre, mood and instruments instead."
    )
