"""Rates and run-out forecasts for a campaign (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from engine.domain.campaigns import Campaign


@dataclass(frozen=True, slots=True)
class Rates:
    per_s_last_second: float  # the last complete second
    per_s_last_minute: float  # the 60 complete seconds before now
    fen_per_s_last_minute: float


def rates(buckets: Mapping[int, tuple[int, int]], now: datetime) -> Rates:
    """`buckets`: unix second -> (admissions, fen admitted) in that second."""
    this_second = int(now.timestamp())
    last = buckets.get(this_second - 1, (0, 0))[0]
    window = range(this_second - 60, this_second)
    count = sum(buckets.get(s, (0, 0))[0] for s in window)
    fen = sum(buckets.get(s, (0, 0))[1] for s in window)
    return Rates(float(last), count / 60, fen / 60)


def run_out(left: float, per_s: float, now: datetime) -> datetime | None:
    """When `left` reaches zero at `per_s`; None when nothing drains it."""
    if left <= 0:
        return now
    if per_s <= 0:
        return None
    return now + timedelta(seconds=left / per_s)


def released(campaign: Campaign, now: datetime) -> tuple[int, int, int, datetime | None]:
    """(current wave number, stock released so far, current wave's quantity, next wave time).

    Mirrors the admission script: without waves everything is released at once.
    """
    if not campaign.waves:
        return 0, campaign.quota, campaign.quota, None
    wave, total, current, next_at = 0, 0, 0, None
    for w in campaign.waves:
        if w.at <= now:
            wave, total, current = wave + 1, total + w.quantity, w.quantity
        elif next_at is None:
            next_at = w.at
    return wave, total, current, next_at


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None
