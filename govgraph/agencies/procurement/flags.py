"""Red flags (placeholder)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Flag:
    code: str
    name: str
    evidence: str


def red_flags(compiled: dict[str, Any]) -> list[Flag]:
    return []
