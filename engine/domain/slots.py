"""Services booked by the slot (issue 26): counselling, legal advice, health checks,
events, childcare. The rules of a booking's life, without I/O; the place itself is taken
and given back atomically in the decision store, as a claim's stock is.

A slot is a provider's time with a capacity. A booking may be cancelled until the slot's
cancel deadline, and its place is free again at once. The provider checks the worker in
with the voucher only on the slot's day, at that provider, from a margin before the slot
starts until it ends; a booking not checked in by the end is a no-show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from engine.errors import ValidationFailed


@dataclass(frozen=True, slots=True)
class Slot:
    slot_id: str
    provider_id: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    cancel_before: timedelta = timedelta(hours=2)  # no cancelling later than this before it
    early_check_in: timedelta = timedelta(minutes=30)


class CheckIn(StrEnum):
    ALLOWED = "allowed"
    WRONG_PROVIDER = "wrong-provider"
    TOO_EARLY = "too-early"
    SLOT_OVER = "slot-over"


def check_slot(slot: Slot) -> None:
    if slot.ends_at <= slot.starts_at:
        raise ValidationFailed(f"slot {slot.slot_id}: it must end after it starts")
    if not 1 <= slot.capacity <= 10_000:
        raise ValidationFailed(f"slot {slot.slot_id}: capacity is 1 to 10,000")
    if slot.cancel_before < timedelta(0) or slot.early_check_in < timedelta(0):
        raise ValidationFailed(f"slot {slot.slot_id}: deadlines cannot be negative")


def free_places(slot: Slot, booked: int) -> int:
    return max(0, slot.capacity - booked)


def cancellable(slot: Slot, now: datetime) -> bool:
    """A booking may still be cancelled (its place goes back to the slot)."""
    return now < slot.starts_at - slot.cancel_before


def check_in(slot: Slot, provider_id: str, now: datetime) -> CheckIn:
    """May this provider check the booking's worker in now?"""
    if provider_id != slot.provider_id:
        return CheckIn.WRONG_PROVIDER
    if now < slot.starts_at - slot.early_check_in:
        return CheckIn.TOO_EARLY
    if now >= slot.ends_at:
        return CheckIn.SLOT_OVER
    return CheckIn.ALLOWED


def no_show(slot: Slot, checked_in: bool, now: datetime) -> bool:
    """The booking lapsed unattended: counted as a no-show once the slot is over."""
    return not checked_in and now >= slot.ends_at
