"""A merchant's settlement day as the sum of its ledger entries.

A statement is kept by adding each batch's new entries to it, in the transaction that
appends them to the ledger: recomputing a day from its rows at every batch would read
every row of the day again, so a busy till's day would cost more with each redemption.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from engine.domain.clock import utc_from_ms
from engine.domain.ledger import Entry
from engine.domain.listings import SettlementDay
from engine.domain.periods import union_day


def day_totals(entries: Iterable[Entry]) -> list[SettlementDay]:
    """What the entries add to each (merchant, union day) statement, in that order."""
    totals: dict[tuple[str, date], list[int]] = {}
    for entry in entries:
        day = union_day(utc_from_ms(entry.occurred_ms))
        counts = totals.setdefault((entry.merchant_id, day), [0, 0, 0, 0])
        if entry.kind == "redemption":
            counts[0] += 1
            counts[1] += entry.amount_fen
        else:
            counts[2] += 1
            counts[3] -= entry.amount_fen  # a reversal's amount is negative
    return [
        SettlementDay(merchant, day, n, redeemed, m, reversed_, redeemed - reversed_)
        for (merchant, day), (n, redeemed, m, reversed_) in sorted(totals.items())
    ]


def added(day: SettlementDay, more: SettlementDay) -> SettlementDay:
    """A statement with another one's totals added (same merchant and day)."""
    return SettlementDay(
        day.merchant_id,
        day.day,
        day.redemptions + more.redemptions,
        day.redeemed_fen + more.redeemed_fen,
        day.reversals + more.reversals,
        day.reversed_fen + more.reversed_fen,
        day.net_fen + more.net_fen,
    )
