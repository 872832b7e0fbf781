"""Campaigns as operations define them, and the rules a definition must obey."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from engine.domain.cofunding import (
    Payer,
    check_payers,
    payers_as_dicts,
    payers_from_dicts,
    vouchers_within_budgets,
)
from engine.domain.discounts import (
    Discount,
    ceiling,
    check_discount,
    discount_as_dict,
    discount_from_dict,
)
from engine.domain.periods import Period
from engine.domain.profiles import WorkerCategory
from engine.domain.rules import Rule, make_rule
from engine.errors import ValidationFailed


class Status(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


# Which lifecycle moves operations may make.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.DRAFT: frozenset({Status.SCHEDULED, Status.OPEN, Status.CLOSED}),
    Status.SCHEDULED: frozenset({Status.OPEN, Status.PAUSED, Status.CLOSED}),
    Status.OPEN: frozenset({Status.PAUSED, Status.CLOSED}),
    Status.PAUSED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}
CLAIMABLE = frozenset({Status.SCHEDULED, Status.OPEN})


@dataclass(frozen=True, slots=True)
class Wave:
    at: datetime
    quantity: int


@dataclass(frozen=True, slots=True)
class PeriodLimit:
    period: Period
    limit: int


@dataclass(frozen=True, slots=True)
class Lottery:
    """Registration runs through the claim window; the draw happens at draw_at."""

    draw_at: datetime


@dataclass(frozen=True, slots=True)
class Campaign:
    id: str
    name: str
    quota: int
    face_value_fen: int
    per_worker_limit: int
    claim_opens_at: datetime
    claim_closes_at: datetime
    valid_until: datetime
    eligible_categories: tuple[WorkerCategory, ...]
    merchants: tuple[str, ...]
    number: int = 0
    status: Status = Status.OPEN
    version: int = 1
    budget_fen: int | None = None
    face_value_min_fen: int | None = None
    face_value_max_fen: int | None = None
    period_limit: PeriodLimit | None = None
    cap_group: str | None = None
    rules: tuple[Rule, ...] = ()
    waves: tuple[Wave, ...] = ()
    rollover: bool = False
    lottery: Lottery | None = None
    partner_pool: bool = False
    stored_value: bool = False  # redeemable in parts until the balance is spent
    reversal_window_s: int = 86_400
    name_en: str | None = None  # the name the union publishes in English, beside `name`
    # A voucher whose worth depends on the order (engine.domain.discounts); its face value
    # is then the most one voucher grants.
    discount: Discount | None = None
    # Picked up at the union's service stations: each claim names one and takes its stock.
    stations: bool = False
    # Booked by the slot (engine.domain.slots): each claim books a place in one slot.
    slots: bool = False
    # Paid to the worker in batches (engine.usecases.payouts): its one merchant, the
    # union's payroll, redeems each voucher as its payout is paid.
    payout: bool = False
    # Who pays what of every redemption (engine.domain.cofunding); none: the union alone.
    payers: tuple[Payer, ...] = ()

    @property
    def face_range(self) -> tuple[int, int]:
        low = self.face_value_min_fen or self.face_value_fen
        high = self.face_value_max_fen or self.face_value_fen
        return low, high

    @property
    def deciding_budget_fen(self) -> int | None:
        """The budget the admission holds claims to: the campaign's own, or less where its
        payers' budgets cover fewer vouchers (engine.domain.cofunding)."""
        covered = vouchers_within_budgets(self.payers, self.face_value_fen)
        if covered is None:
            return self.budget_fen
        payers_fen = covered * self.face_value_fen
        return min(payers_fen, self.budget_fen) if self.budget_fen else payers_fen

    @property
    def max_spend_fen(self) -> int:
        """What the programme can cost at most: its budget, or every voucher at full value."""
        ceiling = self.quota * self.face_range[1]
        budget = self.deciding_budget_fen
        return min(ceiling, budget) if budget is not None else ceiling


def check_campaign(campaign: Campaign) -> None:
    """Cross-field rules that single-field validation cannot express."""
    if campaign.claim_closes_at <= campaign.claim_opens_at:
        raise ValidationFailed("claim_closes_at must be after claim_opens_at")
    if campaign.valid_until < campaign.claim_closes_at:
        raise ValidationFailed("valid_until must not be before claim_closes_at")
    if campaign.valid_until.timestamp() >= 2**32:
        raise ValidationFailed("valid_until is too far in the future")
    if len(set(campaign.merchants)) != len(campaign.merchants):
        raise ValidationFailed("merchants must not repeat")
    low, high = campaign.face_range
    if not low <= campaign.face_value_fen <= high:
        raise ValidationFailed("face_value_fen must lie within the face value range")
    if campaign.waves:
        if sum(w.quantity for w in campaign.waves) != campaign.quota:
            raise ValidationFailed("the waves' quantities must add up to the quota")
        times = [w.at for w in campaign.waves]
        if times != sorted(times) or len(set(times)) != len(times):
            raise ValidationFailed("waves must be in strictly increasing time order")
        if times[0] < campaign.claim_opens_at or times[-1] >= campaign.claim_closes_at:
            raise ValidationFailed("every wave must fall inside the claim window")
    if campaign.discount is not None:
        _check_discount_campaign(campaign, campaign.discount)
    if campaign.stations and (campaign.partner_pool or campaign.lottery):
        # A lottery's winners do not choose a station; a partner's code is not a pack.
        raise ValidationFailed("a pick-up campaign has neither a partner pool nor a lottery")
    if campaign.slots and (
        campaign.stations
        or campaign.partner_pool
        or campaign.lottery
        or campaign.waves
        or campaign.cap_group
    ):
        # A cancelled booking gives everything back; these would need their own undo.
        raise ValidationFailed(
            "a booking campaign is not picked up at stations and has no partner pool, "
            "lottery, waves or cross-programme cap: its slots are its stock"
        )
    if campaign.payout and (
        len(campaign.merchants) != 1
        or campaign.stations
        or campaign.slots
        or campaign.discount
        or campaign.stored_value
        or campaign.partner_pool
    ):
        raise ValidationFailed(
            "a payout campaign names one merchant (the union's payroll, which records each "
            "payout paid) and is paid whole: no stations, slots, discount, stored value or pool"
        )
    if campaign.payers:
        _check_payers_fit(campaign)
    if campaign.lottery is not None:
        if campaign.lottery.draw_at < campaign.claim_closes_at:
            raise ValidationFailed("a lottery draws after registration (the claim window) closes")
        if campaign.waves:
            raise ValidationFailed("a lottery campaign has no waves")


def _check_payers_fit(campaign: Campaign) -> None:
    """A co-funded campaign's payers, and what their budgets need of it."""
    check_payers(campaign.payers)
    budgeted = any(p.budget_fen is not None for p in campaign.payers)
    if budgeted and (campaign.stored_value or campaign.face_range[0] != campaign.face_range[1]):
        # Each voucher then costs each payer a known most: one face value, redeemed whole.
        raise ValidationFailed(
            "payers' budgets need one face value redeemed whole: no range, no stored value"
        )
    if vouchers_within_budgets(campaign.payers, campaign.face_value_fen) == 0:
        raise ValidationFailed("a payer's budget does not cover its part of one voucher")


def _check_discount_campaign(campaign: Campaign, discount: Discount) -> None:
    check_discount(discount)
    if campaign.stored_value or campaign.partner_pool:
        raise ValidationFailed("a discount voucher is neither stored value nor a partner's code")
    if campaign.face_value_min_fen or campaign.face_value_max_fen:
        raise ValidationFailed("a discount voucher has no face value range")
    most = ceiling(discount)
    if most is None:
        raise ValidationFailed("a percent_off or free discount needs cap_fen, the most it grants")
    if campaign.face_value_fen != most:
        raise ValidationFailed(
            f"face_value_fen must be {most}: the most one discount voucher grants (its cap "
            "or top tier), which the budget counts"
        )


def parse_rules(raw: list[dict[str, Any]]) -> tuple[Rule, ...]:
    try:
        return tuple(make_rule(r) for r in raw)
    except ValueError as exc:
        raise ValidationFailed(f"rule: {exc}") from None


def options(campaign: Campaign) -> dict[str, Any]:
    """The definition beyond the basic columns, as stored (JSON) and shown."""
    return {
        "budget_fen": campaign.budget_fen,
        "face_value_min_fen": campaign.face_value_min_fen,
        "face_value_max_fen": campaign.face_value_max_fen,
        "period_limit": {
            "period": campaign.period_limit.period.value,
            "limit": campaign.period_limit.limit,
        }
        if campaign.period_limit
        else None,
        "cap_group": campaign.cap_group,
        "rules": [r.as_dict() for r in campaign.rules],
        "waves": [{"at": _utc(w.at), "quantity": w.quantity} for w in campaign.waves],
        "rollover": campaign.rollover,
        "lottery": {"draw_at": _utc(campaign.lottery.draw_at)} if campaign.lottery else None,
        "partner_pool": campaign.partner_pool,
        "stored_value": campaign.stored_value,
        "reversal_window_s": campaign.reversal_window_s,
        "name_en": campaign.name_en,
        "discount": discount_as_dict(campaign.discount) if campaign.discount else None,
        "stations": campaign.stations,
        "slots": campaign.slots,
        "payout": campaign.payout,
        "payers": payers_as_dicts(campaign.payers),
    }


def with_options(campaign: Campaign, opts: dict[str, Any]) -> Campaign:
    period = opts.get("period_limit")
    lottery = opts.get("lottery")
    return replace(
        campaign,
        budget_fen=opts.get("budget_fen"),
        face_value_min_fen=opts.get("face_value_min_fen"),
        face_value_max_fen=opts.get("face_value_max_fen"),
        period_limit=PeriodLimit(Period(period["period"]), period["limit"]) if period else None,
        cap_group=opts.get("cap_group"),
        rules=parse_rules(opts.get("rules", [])),
        waves=tuple(Wave(_dt(w["at"]), w["quantity"]) for w in opts.get("waves", [])),
        rollover=bool(opts.get("rollover", False)),
        lottery=Lottery(_dt(lottery["draw_at"])) if lottery else None,
        partner_pool=bool(opts.get("partner_pool", False)),
        stored_value=bool(opts.get("stored_value", False)),
        reversal_window_s=int(opts.get("reversal_window_s", 86_400)),
        name_en=opts.get("name_en"),
        discount=discount_from_dict(opts["discount"]) if opts.get("discount") else None,
        stations=bool(opts.get("stations", False)),
        slots=bool(opts.get("slots", False)),
        payout=bool(opts.get("payout", False)),
        payers=payers_from_dicts(opts.get("payers", [])),
    )


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _dt(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def same_definition(stored: Campaign, asked: Campaign) -> bool:
    """True when a repeated create asks for exactly what already exists."""

    def norm(campaign: Campaign) -> dict[str, Any]:
        d = {k: v for k, v in as_dict(campaign).items() if k not in ("number", "status", "version")}
        d["eligible_categories"] = sorted(d["eligible_categories"])
        d["merchants"] = sorted(d["merchants"])
        return d

    return norm(stored) == norm(asked)


def as_dict(campaign: Campaign) -> dict[str, Any]:
    """The definition as shown by the API and kept in each stored version."""
    return {
        "id": campaign.id,
        "number": campaign.number,
        "name": campaign.name,
        "status": campaign.status.value,
        "version": campaign.version,
        "quota": campaign.quota,
        "face_value_fen": campaign.face_value_fen,
        "per_worker_limit": campaign.per_worker_limit,
        "claim_opens_at": _utc(campaign.claim_opens_at),
        "claim_closes_at": _utc(campaign.claim_closes_at),
        "valid_until": _utc(campaign.valid_until),
        "eligible_categories": [str(x) for x in campaign.eligible_categories],
        "merchants": list(campaign.merchants),
        "max_spend_fen": campaign.max_spend_fen,
        **options(campaign),
    }


# What a new version may change; identity, numbering and the claim window's start stay.
MUTABLE = frozenset(
    {
        "name",
        "quota",
        "face_value_fen",
        "per_worker_limit",
        "claim_closes_at",
        "valid_until",
        "eligible_categories",
        "merchants",
        "budget_fen",
        "face_value_min_fen",
        "face_value_max_fen",
        "reversal_window_s",
        "period_limit",
        "rules",
        "waves",
        "rollover",
    }
)


def merge_changes(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """A new version's definition: the current one with the changes over it. A change to
    a field a new version may not change is refused (ValidationFailed), all of them named."""
    not_allowed = set(changes) - MUTABLE
    if not_allowed:
        raise ValidationFailed(f"these fields cannot change: {', '.join(sorted(not_allowed))}")
    return {**current, **changes}
