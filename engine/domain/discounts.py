"""What a voucher that depends on the order grants: the union's discount kinds, in fen.

- `PercentOff`: a share of the order (the metro's 5折 is 50%), at most `cap_fen`.
- `Threshold`: 满X减Y, one or more tiers; the highest tier the order reaches applies.
- `Free`: one item free (100% off), at most `cap_fen`.

Money is integer fen throughout. A share of an order is rounded half up to the fen (四舍五入,
as a till rounds), computed in integers so no float ever touches money; then the cap
applies; and no discount exceeds the order. An order below every tier gets nothing, and
`shortfall` says how much more it needs.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from engine.errors import ValidationFailed


@dataclass(frozen=True, slots=True)
class PercentOff:
    percent: int  # 1..99: 100% off one item is `Free`
    cap_fen: int | None = None


@dataclass(frozen=True, slots=True)
class Tier:
    min_order_fen: int
    off_fen: int


@dataclass(frozen=True, slots=True)
class Threshold:
    tiers: tuple[Tier, ...]  # increasing minimum orders


@dataclass(frozen=True, slots=True)
class Free:
    cap_fen: int | None = None


Discount = PercentOff | Threshold | Free


def granted(discount: Discount, order_fen: int) -> int:
    """The fen this discount takes off an order of `order_fen` (0: below every tier)."""
    if order_fen <= 0:
        raise ValidationFailed("the order amount must be a positive number of fen")
    if isinstance(discount, Threshold):
        reached = [t.off_fen for t in discount.tiers if order_fen >= t.min_order_fen]
        return max(reached, default=0)
    if isinstance(discount, PercentOff):
        share = (order_fen * discount.percent * 2 + 100) // 200  # half up, in integers
    else:
        share = order_fen
    capped = share if discount.cap_fen is None else min(share, discount.cap_fen)
    return min(capped, order_fen)


def shortfall(discount: Discount, order_fen: int) -> int:
    """How many more fen the order needs before any tier applies (0: it is enough)."""
    if not isinstance(discount, Threshold):
        return 0
    return max(0, discount.tiers[0].min_order_fen - order_fen)


def check_discount(discount: Discount) -> None:
    """The rules a campaign's discount must keep; ValidationFailed saying which it breaks."""
    if isinstance(discount, PercentOff) and not 1 <= discount.percent <= 99:
        raise ValidationFailed("percent_off must be 1 to 99 (100% off one item is 'free')")
    cap = discount.cap_fen if isinstance(discount, (PercentOff, Free)) else None
    if cap is not None and cap <= 0:
        raise ValidationFailed("a discount's cap must be a positive number of fen")
    if isinstance(discount, Threshold):
        tiers = discount.tiers
        if not 1 <= len(tiers) <= 10:
            raise ValidationFailed("a threshold discount has 1 to 10 tiers")
        if any(t.off_fen <= 0 or t.off_fen >= t.min_order_fen for t in tiers):
            raise ValidationFailed("each tier takes off a positive amount below its minimum order")
        pairs = itertools.pairwise(tiers)
        if any(b.min_order_fen <= a.min_order_fen or b.off_fen <= a.off_fen for a, b in pairs):
            raise ValidationFailed("tiers rise in both minimum order and amount off")
