"""A co-funded programme's payers: how a campaign states them, and each payer's statement."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, Strict

from engine.api.fields import ClosedBody, Fen, PartyId


class PayerIn(ClosedBody):
    """One payer and its share of every redemption: a percentage of what the fixed shares
    leave, or a fixed number of fen (taken first, in the order given)."""

    payer_id: PartyId
    name: Annotated[str, Field(min_length=1, max_length=200)]
    percent: Annotated[int, Strict(), Field(ge=1, le=100)] | None = None
    fixed_fen: Fen | None = None
    budget_fen: Fen | None = Field(
        None, description="the most it pays over the programme: claims stop when it is reached"
    )


class PayerDayOut(BaseModel):
    day: str
    redeemed_fen: int = Field(description="its part of the day's redemptions")
    reversed_fen: int = Field(description="its part of the day's reversals")
    net_fen: int


class PayerStatementOut(BaseModel):
    campaign_id: str
    payer_id: str
    name: str
    days: list[PayerDayOut]
    net_fen: int = Field(description="what the payer owes for the period")
