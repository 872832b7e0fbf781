"""A cap across campaigns: at most `max_fen` per worker per period over every campaign
that names the group (a leisure budget of 200 yuan a month, say)."""

from __future__ import annotations

from dataclasses import dataclass

from engine.domain.periods import Period


@dataclass(frozen=True, slots=True)
class CapGroup:
    id: str
    period: Period
    max_fen: int
