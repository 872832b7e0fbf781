"""What a worker has left of a programme's limits, as the worker's page shows it: the
per-period limit (claims this day, week or month) and the cross-programme cap (fen this
period across the cap group's programmes). Read from the worker's vouchers; the admission
script decides atomically, this only shows where the worker stands."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from engine.domain.campaigns import PeriodLimit
from engine.domain.cap_groups import CapGroup
from engine.domain.periods import period_id


@dataclass(frozen=True, slots=True)
class Held:
    """One voucher the worker holds: its programme, when it was admitted, what it costs."""

    campaign_id: str
    admitted_at: datetime
    face_value_fen: int


def period_left(
    campaign_id: str, limit: PeriodLimit, held: Iterable[Held], now: datetime
) -> dict[str, object]:
    current = period_id(limit.period, now)
    used = sum(
        1
        for h in held
        if h.campaign_id == campaign_id and period_id(limit.period, h.admitted_at) == current
    )
    return {
        "period": limit.period.value,
        "limit": limit.limit,
        "used": used,
        "left": max(0, limit.limit - used),
    }


def cap_left(
    group: CapGroup, members: frozenset[str], held: Iterable[Held], now: datetime
) -> dict[str, object]:
    """`members`: the programmes that name the group."""
    current = period_id(group.period, now)
    used = sum(
        h.face_value_fen
        for h in held
        if h.campaign_id in members and period_id(group.period, h.admitted_at) == current
    )
    return {
        "group": group.id,
        "period": group.period.value,
        "max_fen": group.max_fen,
        "used_fen": used,
        "left_fen": max(0, group.max_fen - used),
    }
