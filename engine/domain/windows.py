"""Per-campaign counts of claims, issuances and redemptions in tumbling windows of one
second and one minute, for the dashboard: each event counted once, in the windows of its
own time, and named by where it sits in the log so a redelivery counts nothing."""

from __future__ import annotations

import time
from dataclasses import dataclass

import orjson

KINDS = ("claims", "issued", "redeemed")
SIZES = {"1s": 1, "1m": 60}  # window name -> seconds
EXPIRES_S = {"1s": 600, "1m": 7200}
_TIME_FIELDS = ("admitted_at_ms", "issued_at_ms", "redeemed_at_ms")


@dataclass(frozen=True, slots=True)
class WindowCount:
    """One event to count: its campaign and kind, where the log put it, and when it
    happened (unix s)."""

    campaign_id: str
    kind: str
    partition: int
    offset: int
    at_s: float

    def windows(self) -> list[tuple[str, int, int]]:
        """(window name, its start in unix s, how long it is kept in s) of each size."""
        return [
            (name, window_start(self.at_s, size), EXPIRES_S[name]) for name, size in SIZES.items()
        ]


def window_start(timestamp_s: float, size_s: int) -> int:
    return int(timestamp_s // size_s) * size_s


def event_time(fields: dict[str, object]) -> float:
    """When the event happened (unix s), from its own field; now, for one without."""
    for name in _TIME_FIELDS:
        value = fields.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return value / 1000
    return time.time()


def decoded(raw: bytes) -> dict[str, object] | None:
    """An event's fields, or None for bytes that are no JSON object."""
    try:
        fields = orjson.loads(raw)
    except ValueError:
        return None
    return fields if isinstance(fields, dict) else None
