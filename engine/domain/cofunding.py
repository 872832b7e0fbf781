"""Who pays what of a co-funded redemption (issue 27): the union and its partners.

A campaign names its payers in order, each with a share of every redemption: a fixed
number of fen, or a percentage of what is left after the fixed shares. Fixed shares are
taken first, in the order given, each as far as the amount goes; the rest is split by
percentage with the largest-remainder method (ties to the payer listed first), so the
parts are whole fen and always add up to the amount, to the fen.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from engine.errors import ValidationFailed


@dataclass(frozen=True, slots=True)
class Payer:
    payer_id: str
    percent: int | None = None  # of what the fixed shares leave
    fixed_fen: int | None = None  # per redemption
    name: str = ""
    budget_fen: int | None = None  # the most it pays over the programme (None: no limit)


@dataclass(frozen=True, slots=True)
class PayerDay:
    """One payer's part of one day's ledger."""

    redeemed_fen: int = 0
    reversed_fen: int = 0

    @property
    def net_fen(self) -> int:
        return self.redeemed_fen - self.reversed_fen


def split(payers: Sequence[Payer], amount_fen: int) -> dict[str, int]:
    """Each payer's part of `amount_fen`; the parts add up to it exactly."""
    if amount_fen < 0:
        raise ValidationFailed("an amount to split cannot be negative")
    parts = dict.fromkeys((p.payer_id for p in payers), 0)
    left = amount_fen
    for p in payers:
        if p.fixed_fen is not None:
            parts[p.payer_id] = min(p.fixed_fen, left)
            left -= parts[p.payer_id]
    shared = [p for p in payers if p.percent is not None]
    exact = [(left * (p.percent or 0), p.payer_id) for p in shared]  # hundredths of a fen
    floors = {payer: hundredths // 100 for hundredths, payer in exact}
    short = left - sum(floors.values())
    # The fen the floors left over go to the largest remainders, the first listed first.
    ranked = sorted(range(len(exact)), key=lambda i: (-(exact[i][0] % 100), i))
    for i in ranked[:short]:
        floors[exact[i][1]] += 1
    for payer, fen in floors.items():
        parts[payer] += fen
    return parts


def check_payers(payers: Sequence[Payer]) -> None:
    """The rules a campaign's payers must keep; ValidationFailed saying which it breaks."""
    if not 1 <= len(payers) <= 10:
        raise ValidationFailed("a campaign has 1 to 10 payers")
    if len({p.payer_id for p in payers}) != len(payers):
        raise ValidationFailed("payers must not repeat")
    for p in payers:
        if (p.percent is None) == (p.fixed_fen is None):
            raise ValidationFailed(f"payer {p.payer_id}: give a percent or a fixed amount")
        if p.percent is not None and not 1 <= p.percent <= 100:
            raise ValidationFailed(f"payer {p.payer_id}: a percent is 1 to 100")
        if p.fixed_fen is not None and p.fixed_fen <= 0:
            raise ValidationFailed(f"payer {p.payer_id}: a fixed share is a positive number of fen")
    if sum(p.percent or 0 for p in payers) != 100:
        raise ValidationFailed("the payers' percentages add up to 100 (someone pays the rest)")


def most_per_voucher(payers: Sequence[Payer], face_fen: int) -> dict[str, int]:
    """The most each payer can pay of one voucher redeemed whole (once, or again after a
    whole reversal): its fixed share, or its percent of what the fixed shares leave of the
    face value, a remainder fen included."""
    fixed = sum(min(p.fixed_fen or 0, face_fen) for p in payers)
    left = max(face_fen - fixed, 0)
    return {
        p.payer_id: min(p.fixed_fen, face_fen)
        if p.fixed_fen is not None
        else -(-left * (p.percent or 0) // 100)
        for p in payers
    }


def vouchers_within_budgets(payers: Sequence[Payer], face_fen: int) -> int | None:
    """How many vouchers every payer's budget covers (None: no payer has one): the
    programme's stock as its payers allow, each voucher at the most it can cost each."""
    most = most_per_voucher(payers, face_fen)
    allowed = [
        p.budget_fen // most[p.payer_id]
        for p in payers
        if p.budget_fen is not None and most[p.payer_id] > 0
    ]
    return min(allowed) if allowed else None


def payer_days(
    payers: Sequence[Payer], rows: Iterable[tuple[date, int]]
) -> dict[str, dict[date, PayerDay]]:
    """Each payer's part of each day's ledger rows ((day, amount): positive a redemption,
    negative a reversal), every row split on its own so that the payers' parts of each
    row, and so of each day, add up to it to the fen."""
    days: dict[str, dict[date, PayerDay]] = {p.payer_id: {} for p in payers}
    for day, amount in rows:
        for payer, part in split(payers, abs(amount)).items():
            held = days[payer].get(day, PayerDay())
            if amount >= 0:
                days[payer][day] = PayerDay(held.redeemed_fen + part, held.reversed_fen)
            else:
                days[payer][day] = PayerDay(held.redeemed_fen, held.reversed_fen + part)
    return days


def payers_as_dicts(payers: Sequence[Payer]) -> list[dict[str, Any]]:
    return [asdict(p) for p in payers]


def payers_from_dicts(raw: Iterable[dict[str, Any]]) -> tuple[Payer, ...]:
    return tuple(
        Payer(
            r["payer_id"],
            r.get("percent"),
            r.get("fixed_fen"),
            r.get("name", ""),
            r.get("budget_fen"),
        )
        for r in raw
    )
