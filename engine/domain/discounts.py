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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.errors import OrderBelowThreshold, ValidationFailed


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


def ceiling(discount: Discount) -> int | None:
    """The most one voucher grants: its cap, or the top tier (None: uncapped)."""
    if isinstance(discount, Threshold):
        return discount.tiers[-1].off_fen
    return discount.cap_fen


def discount_as_dict(discount: Discount) -> dict[str, Any]:
    """The definition as stored and shown: a `kind` and its terms."""
    if isinstance(discount, PercentOff):
        return {"kind": "percent_off", "percent": discount.percent, "cap_fen": discount.cap_fen}
    if isinstance(discount, Threshold):
        tiers = [{"min_order_fen": t.min_order_fen, "off_fen": t.off_fen} for t in discount.tiers]
        return {"kind": "threshold", "tiers": tiers}
    return {"kind": "free", "cap_fen": discount.cap_fen}


def discount_from_dict(stored: Mapping[str, Any]) -> Discount:
    kind = stored["kind"]
    if kind == "percent_off":
        return PercentOff(stored["percent"], stored.get("cap_fen"))
    if kind == "threshold":
        return Threshold(tuple(Tier(t["min_order_fen"], t["off_fen"]) for t in stored["tiers"]))
    if kind == "free":
        return Free(stored.get("cap_fen"))
    raise ValidationFailed(f"unknown discount kind {kind!r}")


def asked_amount(discount: Discount | None, amount_fen: int | None, order_fen: int | None) -> int:
    """What a redemption asks of the voucher, in fen (0: the whole balance). A discount
    voucher takes the order's amount and grants its discount; any other voucher takes an
    amount (or its balance) and no order."""
    if discount is None:
        if order_fen is not None:
            raise ValidationFailed("order_fen is for discount vouchers; this one has a face value")
        return amount_fen or 0
    if amount_fen is not None:
        raise ValidationFailed("a discount voucher grants from order_fen; leave amount_fen out")
    if order_fen is None:
        raise ValidationFailed("a discount voucher needs order_fen: the order's amount in fen")
    grant = granted(discount, order_fen)
    if grant == 0:
        missing = shortfall(discount, order_fen)
        raise OrderBelowThreshold(
            f"the order needs {missing} fen more to reach the lowest tier", shortfall_fen=missing
        )
    return grant
