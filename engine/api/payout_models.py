"""Payout batches: what operations send, and what they are answered."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, Strict

from engine.api.fields import ClosedBody

PayoutState = Literal["pending", "in_batch", "paid", "failed", "cancelled"]


class PayoutBatchIn(ClosedBody):
    # A result file of a batch this size still fits a request body (64 KiB).
    max_payouts: Annotated[int, Strict(), Field(ge=1, le=1_000)] = 1_000


class PayoutOut(BaseModel):
    payout_id: str = Field(description="the claim it pays")
    campaign_id: str
    worker_id: str
    amount_fen: int
    state: PayoutState
    batch_id: str | None
    failure: str | None = Field(description="the bank's reason, for a failed payout")


class PayoutBatchOut(BaseModel):
    batch_id: str
    campaign_id: str
    state: Literal["prepared", "approved", "exported", "settled"]
    prepared_by: str
    approved_by: str | None
    file_sha256: str | None = Field(description="the payment file's SHA-256, once exported")
    amount_fen: int
    payouts: list[PayoutOut]


class PayoutsOfStateOut(BaseModel):
    payouts: int
    fen: int


class PayoutTotalsOut(BaseModel):
    campaign_id: str
    budget_fen: int | None
    by_state: dict[PayoutState, PayoutsOfStateOut]
