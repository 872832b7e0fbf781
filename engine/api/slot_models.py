"""A booking campaign's slots: what operations send, and what operations and workers are
answered."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, Strict

from engine.api.fields import ClosedBody, Moment, PartyId

Text = Annotated[str, Field(min_length=1, max_length=200)]
Minutes = Annotated[int, Strict(), Field(ge=0, le=7 * 24 * 60)]


class SlotIn(ClosedBody):
    """A provider's time with a capacity."""

    slot_id: PartyId
    service: Text = Field(description="what is booked, as the union publishes it")
    provider_id: PartyId = Field(description="the provider's store id: its keys check workers in")
    provider_name: Text
    starts_at: Moment
    ends_at: Moment
    capacity: Annotated[int, Strict(), Field(ge=1, le=10_000)]
    cancel_before_minutes: Minutes = Field(
        120, description="bookings are cancelled until this long before the start"
    )
    early_check_in_minutes: Minutes = Field(
        30, description="a worker is checked in from this long before the start"
    )


class SlotsIn(ClosedBody):
    # A body holds 64 KiB: a few hundred slots; more are added by another PUT.
    slots: Annotated[list[SlotIn], Field(min_length=1, max_length=500)]


class SlotOut(BaseModel):
    slot_id: str
    service: str
    provider_id: str
    provider_name: str
    starts_at: str
    ends_at: str
    cancel_until: str = Field(description="a booking is cancelled until then")
    check_in_from: str = Field(description="the provider checks a booking in from then")


class OfferedSlotOut(SlotOut):
    left: int = Field(description="places left to book")


class FilledSlotOut(OfferedSlotOut):
    capacity: int
    booked: int = Field(description="bookings standing (not cancelled)")
    cancelled: int
    checked_in: int
    no_shows: int = Field(description="bookings not checked in by the slot's end")


class SlotsOut(BaseModel):
    campaign_id: str
    slots: list[FilledSlotOut]


class OfferedSlotsOut(BaseModel):
    campaign_id: str
    slots: list[OfferedSlotOut]


class BookingOut(SlotOut):
    """The slot a voucher books, and whether its worker cancelled it."""

    cancelled: bool


class CancelledBookingOut(BaseModel):
    claim_id: str
    cancelled: bool
    cancelled_now: bool = Field(description="false: it was cancelled before (a retry)")
    slot: SlotOut
