"""The engine interface: what every music engine declares and how it is called.

An engine knows nothing about jobs, databases or HTTP. It receives a request, a progress
callback and a cancellation check, and returns the encoded audio plus facts about it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Mode = Literal["creation", "focus"]
LicenceClass = Literal["commercial_cleared", "commercial_enterprise", "personal_only", "unclear"]

ProgressCallback = Callable[[float], None]
"""Called with a fraction in [0, 1]; calls are monotonic and frequent (at least every ~0.5 s)."""

CancelCheck = Callable[[], bool]
"""Returns True once the render should stop; the engine then raises RenderCancelled."""


class RenderCancelled(Exception):
    """Raised by an engine when its cancellation check returned True."""


@dataclass(frozen=True)
class Capabilities:
    modes: tuple[Mode, ...]
    max_duration_seconds: int
    min_duration_seconds: int = 1
    vocals: bool = False
    lyrics: bool = False
    stems: bool = False
    languages: tuple[str, ...] = ()


@dataclass(frozen=True)
class Licence:
    licence_class: LicenceClass
    commercial_use: bool
    requires_attribution: bool


@dataclass(frozen=True)
class RenderRequest:
    prompt: str
    duration_seconds: int
    mode: Mode = "creation"
    seed: int = 0
    style_tags: tuple[str, ...] = ()
    instrumental: bool = True
    title: str | None = None


@dataclass
class RenderResult:
    audio: bytes
    """The complete encoded file (MP3), ready to be written as the master."""
    mime_type: str
    duration_seconds: float
    """Duration the engine produced (samples / sample rate); the worker re-measures the file."""
    title: str
    """request.title, or a title derived from the prompt."""
    plan: dict[str, Any] = field(default_factory=dict)
    """JSON-safe summary of what was understood, e.g. {style, bpm, key, mode, seed}."""
    segments: list[dict[str, float]] | None = None
    """Focus mode: [{"start_seconds", "duration_seconds", "crossfade_seconds"}, ...]."""


class Engine(Protocol):
    key: str
    name: str
    version: str
    description: str
    capabilities: Capabilities
    licence: Licence

    def describe(self, request: RenderRequest) -> dict[str, Any]:
        """The plan summary for a request, without rendering (cheap, deterministic)."""
        ...

    def render(self, request: RenderRequest, progress: ProgressCallback, cancelled: CancelCheck) -> RenderResult:
        """Render the request to a finished audio file in memory."""
        ...
