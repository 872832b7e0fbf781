"""Answers about the caller's own things: a worker's vouchers and programmes, a till's
day (the /v1/me/... operations the pages use)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from engine.api.models import DiscountTerms, VoucherOut
from engine.api.slot_models import BookingOut


class PickupOut(BaseModel):
    """Where a pack is picked up: the station chosen at the claim."""

    station_id: str
    name: str
    district: str
    address: str


class OwnVoucherOut(VoucherOut):
    campaign_name: str
    campaign_name_en: str | None = None
    discount: DiscountTerms | None = None
    pickup: PickupOut | None = None
    booking: BookingOut | None = None
    payout: bool = Field(False, description="paid to the worker's bank account, not at a till")


class VouchersOut(BaseModel):
    vouchers: list[OwnVoucherOut]


class WaveOut(BaseModel):
    at: str
    quantity: int


class PeriodLeftOut(BaseModel):
    period: Literal["day", "week", "month"]
    limit: int
    used: int = Field(description="claims of this programme this period")
    left: int


class CapLeftOut(BaseModel):
    group: str
    period: Literal["day", "week", "month"]
    max_fen: int
    used_fen: int = Field(description="fen this period across the group's programmes")
    left_fen: int


class LimitsOut(BaseModel):
    """Where the worker stands (from their vouchers; a claim just made may take a moment
    to count): the per-period limit and the cross-programme cap."""

    per_period: PeriodLeftOut | None
    cap: CapLeftOut | None


class LotteryStandingOut(BaseModel):
    draw_at: str
    state: Literal["registering", "committed", "drawn"]
    registered: bool
    won: bool | None = Field(description="once drawn, for a registered worker")


class ProgrammeOut(BaseModel):
    """A live programme as one worker sees it. `reason` is why they cannot claim it now:
    the problem type a claim would answer, or `not-open-yet` and `paused`; a rule they do
    not meet is in `failed_rule`. The claim's own answer decides."""

    campaign_id: str
    name: str
    name_en: str | None
    status: Literal["scheduled", "open", "paused"]
    face_value_fen: int
    face_value_min_fen: int
    face_value_max_fen: int
    stored_value: bool
    discount: DiscountTerms | None = Field(
        None, description="a discount voucher's terms: what it takes off an order"
    )
    stations: bool = Field(False, description="picked up at a station the claim names")
    slots: bool = Field(False, description="booked by the slot: the claim names one")
    claim_opens_at: str
    claim_closes_at: str
    valid_until: str
    waves: list[WaveOut]
    next_wave_at: str | None
    available_now: int
    per_worker_limit: int
    held: int
    claimable: bool
    reason: (
        Literal[
            "paused",
            "claim-window-closed",
            "not-eligible",
            "registration-required",
            "not-open-yet",
            "limit-reached",
            "sold-out",
        ]
        | None
    )
    failed_rule: dict[str, Any] | None
    limits: LimitsOut
    lottery: LotteryStandingOut | None = Field(
        description="a lottery programme: the worker's registration and, once drawn, result"
    )


class ProgrammesOut(BaseModel):
    programmes: list[ProgrammeOut]


class TillRedemptionOut(BaseModel):
    redemption_id: str
    campaign_id: str
    campaign_name: str
    campaign_name_en: str | None
    serial: int
    amount_fen: int
    reversed_fen: int
    store_id: str | None
    terminal_id: str | None
    redeemed_at: str
    reversible_until: str


class TillDayOut(BaseModel):
    """A day (Asia/Shanghai) of redemptions, newest first; `complete` is false past 500,
    where the settlement export has the rest. Entries appear once the ledger has them,
    a moment after the redemption's answer."""

    day: str
    merchant_id: str
    store_id: str | None
    redemptions: list[TillRedemptionOut]
    complete: bool
