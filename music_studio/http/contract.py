"""The contract file, parsed once per process for the code that reads it besides Connexion."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

SPEC = Path(__file__).resolve().parents[2] / "openapi.yaml"


@cache
def document() -> dict[str, Any]:
    """openapi.yaml as a dict; shared, so callers must not mutate it."""
    parsed: dict[str, Any] = yaml.safe_load(SPEC.read_text())
    return parsed
