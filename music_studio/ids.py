"""Prefixed random identifiers (prefix + 24 lowercase hex characters)."""

from __future__ import annotations

import secrets


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def job_id() -> str:
    return new_id("mgen")


def track_id() -> str:
    return new_id("mtrack")
