"""The built-in procedural music engine."""

from music_studio.engines.studio.engine import StudioEngine

__all__ = ["StudioEngine"]
