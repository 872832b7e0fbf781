"""Services booked by the slot (issue 26): counselling, legal advice, health checks,
events, childcare. The rules of a booking's life, without I/O; the place itself is taken
and given back atomically in the decision store, as a claim's stock is.

A slot is a provider's time with a capacity. A booking may be cancelled until the slot's
cancel deadline, and its place is free again at once. The provider checks the worker in
with the voucher only at that provider, from a margin before the slot starts until it ends
(the booking's voucher lapses then: redeem.lua decides both, from the terms activate.lua
wrote); a booking not checked in by the end is a no-show (the records count them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from engine.domain.clock import to_ms
from engine.domain.live_records import CANCELLED, SlotTerms, StationStock
from engine.domain.periods import UNION_TZ
from engine.errors import ValidationFailed

# A booking's voucher is revoked when its worker cancels it, for this reason (and its
# claim's record is then 'cancelled'): its place went back to the slot.
CANCELLED_REASON = CANCELLED


@dataclass(frozen=True, slots=True)
class Slot:
    slot_id: str
    provider_id: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    cancel_before: timedelta = timedelta(hours=2)  # no cancelling later than this before it
    early_check_in: timedelta = timedelta(minutes=30)
    service: str = ""  # what is booked, as the union publishes it (心理咨询, 洗牙 ...)
    provider_name: str = ""


@dataclass(frozen=True, slots=True)
class SlotFill:
    """How a slot's bookings stand, from the records."""

    booked: int = 0  # not cancelled
    cancelled: int = 0
    checked_in: int = 0
    no_shows: int = 0  # not checked in by the slot's end


def check_slot(slot: Slot) -> None:
    if slot.ends_at <= slot.starts_at:
        raise ValidationFailed(f"slot {slot.slot_id}: it must end after it starts")
    if not 1 <= slot.capacity <= 10_000:
        raise ValidationFailed(f"slot {slot.slot_id}: capacity is 1 to 10,000")
    if slot.cancel_before < timedelta(0) or slot.early_check_in < timedelta(0):
        raise ValidationFailed(f"slot {slot.slot_id}: deadlines cannot be negative")


def check_slots(slots: Iterable[Slot], valid_until: datetime) -> None:
    """A set of slots a booking campaign may define: each sound, none repeated, each over
    before the programme's vouchers lapse."""
    seen: set[str] = set()
    for slot in slots:
        check_slot(slot)
        if slot.slot_id in seen:
            raise ValidationFailed(f"slot {slot.slot_id}: slot ids must not repeat")
        if slot.ends_at > valid_until:
            raise ValidationFailed(
                f"slot {slot.slot_id}: it must end by the campaign's valid_until"
            )
        seen.add(slot.slot_id)


def terms(slot: Slot) -> SlotTerms:
    """What the decisions need of a slot: booked until it starts, valid until it ends,
    checked in by its provider's store from the early margin on."""
    return SlotTerms(
        bookable_until_ms=to_ms(slot.starts_at),
        valid_until_s=int(slot.ends_at.timestamp()),
        store_id=slot.provider_id,
        check_in_from_ms=to_ms(slot.starts_at - slot.early_check_in),
    )


def slot_choice(slots: bool, slot_id: str | None) -> str:
    """The slot a claim books: required by a booking campaign, refused by any other."""
    if slots and not slot_id:
        raise ValidationFailed("this programme is booked by the slot: name one (slot_id)")
    if not slots and slot_id:
        raise ValidationFailed("this programme is not booked by the slot: leave slot_id out")
    return slot_id or ""


def offered_slots(
    slots: Iterable[Slot],
    places: Mapping[str, StationStock],
    now: datetime,
    day: date | None = None,
    provider: str = "",
) -> list[Slot]:
    """What a worker may book: open slots not started yet with a place left, on the day
    (the union's) and at the provider asked for (either may be left out), soonest first."""
    found = [
        s
        for s in slots
        if now < s.starts_at
        and (places.get(s.slot_id) or StationStock(0)).left > 0
        and (places.get(s.slot_id) or StationStock(0)).open
        and (day is None or s.starts_at.astimezone(UNION_TZ).date() == day)
        and (not provider or s.provider_id == provider)
    ]
    return sorted(found, key=lambda s: (s.starts_at, s.provider_name, s.slot_id))


def cancellable(slot: Slot, now: datetime) -> bool:
    """A booking may still be cancelled (its place goes back to the slot)."""
    return now < slot.starts_at - slot.cancel_before
