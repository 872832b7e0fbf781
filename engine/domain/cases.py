"""The review queue of the cash-out watch: a case per rule and subject while it is open,
its evidence growing with each new hit, held (its merchants' settlement stopped) and
closed by operations. Plain records and the rules of each step, without I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from engine.domain.cashout import Hit, Redeemed
from engine.errors import CaseClosed

# Evidence kept per case: enough to judge it, bounded under a long burst.
MOST_EVIDENCE = 500


class Decision(StrEnum):
    CLEARED = "cleared"  # looked into: nothing wrong
    CONFIRMED = "confirmed"  # cash-out or collusion: settled outside the engine


@dataclass(frozen=True, slots=True)
class Found:
    """A hit as a case is opened (or added to) from it."""

    hit: Hit
    merchants: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Case:
    case_id: str
    rule: str
    subject: str
    merchants: tuple[str, ...]
    evidence: tuple[str, ...]
    status: str  # open | closed
    hold: bool
    decision: str | None
    note: str | None
    opened_at: datetime
    seen_at: datetime
    closed_at: datetime | None
    closed_by: str | None


@dataclass(frozen=True, slots=True)
class Evidence:
    """One redemption behind a case, as the watch saw it."""

    redeemed: Redeemed
    campaign_id: str
    serial: int


def may_hold(case: Case) -> bool:
    """True when the hold is new; holding a held case again changes nothing."""
    if case.status != "open":
        raise CaseClosed("A hold lasts only while its case is open")
    return not case.hold


def may_close(case: Case, decision: Decision) -> bool:
    """True when the close is new; the same decision again changes nothing."""
    if case.status == "closed":
        if case.decision == decision.value:
            return False
        raise CaseClosed(f"The case was closed as {case.decision}")
    return True
