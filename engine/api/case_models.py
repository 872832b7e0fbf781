"""The cash-out watch: its thresholds, and the cases of its review queue."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, Strict

from engine.api.fields import ClosedBody

Whole = Annotated[int, Strict(), Field(ge=1, le=100_000)]
ClockTime = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["07:00"])]
Rule = Literal[
    "many-workers-at-one-store",
    "outside-opening-hours",
    "terminal-at-several-merchants",
    "worker-at-several-stores",
    "round-spends-to-zero",
    "mostly-reversed",
]


class WatchThresholds(ClosedBody):
    """Each rule's threshold; every field is required, so a change states them all."""

    window_minutes: Annotated[int, Strict(), Field(ge=1, le=1440)] = Field(
        description="the rules read the redemptions of the last this many minutes"
    )
    distinct_workers_per_store: Whole = Field(
        description="a store redeeming this many distinct workers' vouchers in a window"
    )
    opening: ClockTime = Field(description="stores' opening time (Asia/Shanghai)")
    closing: ClockTime = Field(
        description="closing time: before opening runs past midnight; equal to it, open all day"
    )
    merchants_per_terminal: Annotated[int, Strict(), Field(ge=2, le=100)] = Field(
        description="one terminal id seen at this many merchants in a window"
    )
    stores_per_worker: Annotated[int, Strict(), Field(ge=2, le=100)] = Field(
        description="one worker redeeming at this many stores in a window"
    )
    round_spends_to_zero: Whole = Field(
        description="a store's stored-value spends of whole yuan that empty the card, per window"
    )
    reversed_percent: Annotated[int, Strict(), Field(ge=1, le=99)] = Field(
        description="a store more than this percent of whose redemptions are reversed"
    )
    reversed_minimum: Whole = Field(description="redemptions of a store before the share counts")


class CaseOut(BaseModel):
    case_id: str
    rule: Rule
    subject: str = Field(description="store:<merchant>/<store>, terminal:<id> or worker:<id>")
    merchants: list[str] = Field(description="of the evidence: whose settlement a hold stops")
    evidence_count: int
    status: Literal["open", "closed"]
    hold: bool = Field(description="the merchants' settlement is held until the case closes")
    decision: Literal["cleared", "confirmed"] | None
    note: str | None
    opened_at: str
    seen_at: str = Field(description="when a hit last added evidence")
    closed_at: str | None
    closed_by: str | None


class CasesOut(BaseModel):
    cases: list[CaseOut]


class EvidenceOut(BaseModel):
    """One redemption behind a case, as the watch saw it."""

    redemption_id: str
    campaign_id: str
    serial: int
    merchant_id: str
    store_id: str
    terminal_id: str
    worker_id: str
    amount_fen: int
    balance_before_fen: int
    stored_value: bool
    redeemed_at: str
    reversed: bool


class CaseDetailOut(CaseOut):
    evidence: list[EvidenceOut]


class CaseCloseIn(ClosedBody):
    decision: Literal["cleared", "confirmed"] = Field(
        description="cleared: nothing wrong; confirmed: cash-out or collusion"
    )
    note: str | None = Field(default=None, max_length=2000)
