"""Who pays what of a co-funded redemption (issue 27): the union and its partners.

A campaign names its payers in order, each with a share of every redemption: a fixed
number of fen, or a percentage of what is left after the fixed shares. Fixed shares are
taken first, in the order given, each as far as the amount goes; the rest is split by
percentage with the largest-remainder method (ties to the payer listed first), so the
parts are whole fen and always add up to the amount, to the fen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from engine.errors import ValidationFailed


@dataclass(frozen=True, slots=True)
class Payer:
    payer_id: str
    percent: int | None = None  # of what the fixed shares leave
    fixed_fen: int | None = None  # per redemption


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
