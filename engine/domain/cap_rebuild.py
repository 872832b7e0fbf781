"""What Redis should hold for a cross-campaign cap, derived from the system of record.

A cap group's spending lives in the group's own hash slot: per worker, the fen admitted
across the group's campaigns in the current period, and per claim a reservation record
(so a released claim can give its amount back). Both follow from the group's admissions
in that period: vouchers in PostgreSQL and claims still in flight in the log. Released
(void) claims count for nothing: their reservation was given back with them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from engine.domain.admission import CapReservation
from engine.domain.periods import Period, period_id


@dataclass(frozen=True, slots=True)
class CapAdmission:
    campaign_id: str
    claim_id: str
    worker_id: str
    face_value_fen: int
    admitted_at: datetime


@dataclass
class CapState:
    period: str
    spent: dict[str, int] = field(default_factory=dict)
    reservations: dict[str, CapReservation] = field(default_factory=dict)


def expected_cap(
    group_id: str, period: Period, admissions: Iterable[CapAdmission], now: datetime
) -> CapState:
    state = CapState(period_id(period, now))
    for a in admissions:
        if period_id(period, a.admitted_at) != state.period:
            continue  # an earlier period's spending has expired with its keys
        state.spent[a.worker_id] = state.spent.get(a.worker_id, 0) + a.face_value_fen
        state.reservations[a.claim_id] = CapReservation(
            group_id, state.period, a.claim_id, a.worker_id, a.campaign_id, a.face_value_fen
        )
    return state


def cap_differences(
    group_id: str, expected: CapState, actual: CapState, limit: int = 20
) -> list[str]:
    """Every way Redis's cap state departs from the expected one, a line each."""
    out = [
        f"cap {group_id}: {worker} spent {actual.spent.get(worker, 0)} fen in Redis,"
        f" {expected.spent.get(worker, 0)} expected"
        for worker in sorted(expected.spent.keys() | actual.spent.keys())
        if expected.spent.get(worker, 0) != actual.spent.get(worker, 0)
    ][:limit]
    missing = [c for c in expected.reservations if c not in actual.reservations]
    out += [
        f"cap {group_id}: reservation of claim {c} is missing in Redis" for c in missing[:limit]
    ]
    return out
