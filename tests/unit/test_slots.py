"""A booking's life in a slot (engine/domain/slots.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from engine.domain.live_records import SlotTerms, StationStock
from engine.domain.slots import (
    Slot,
    cancellable,
    check_slot,
    check_slots,
    offered_slots,
    slot_choice,
    terms,
)
from engine.errors import ValidationFailed

NINE = datetime(2027, 1, 26, 1, tzinfo=UTC)  # 09:00 in Suzhou
COUNSELLING = Slot("c-0900", "clinic-7", NINE, NINE + timedelta(minutes=50), capacity=4)


@pytest.mark.parametrize(
    "now, allowed",
    [
        (NINE - timedelta(hours=3), True),
        (NINE - timedelta(hours=2, seconds=1), True),
        (NINE - timedelta(hours=2), False),  # the deadline itself is too late
        (NINE + timedelta(minutes=5), False),
    ],
)
def test_a_booking_is_cancellable_until_its_deadline(now, allowed):
    assert cancellable(COUNSELLING, now) is allowed


def test_a_slots_terms_close_booking_at_its_start_and_check_in_from_its_margin():
    nine_ms = int(NINE.timestamp() * 1000)
    assert terms(COUNSELLING) == SlotTerms(
        bookable_until_ms=nine_ms,
        valid_until_s=int(NINE.timestamp()) + 50 * 60,
        store_id="clinic-7",
        check_in_from_ms=nine_ms - 30 * 60_000,
    )


def test_free_slots_are_those_not_started_with_a_place_left_by_the_unions_day():
    late = Slot(
        "c-2330", "clinic-8", NINE + timedelta(hours=14, minutes=30), NINE + timedelta(hours=15), 2
    )
    full = Slot("c-1000", "clinic-7", NINE + timedelta(hours=1), NINE + timedelta(hours=2), 1)
    places = {"c-0900": StationStock(1), "c-2330": StationStock(2), "c-1000": StationStock(0)}
    slots = [late, full, COUNSELLING]
    before = NINE - timedelta(hours=1)
    assert offered_slots(slots, places, before) == [COUNSELLING, late]
    # 23:30 on the 26th in Suzhou is the 26th, though 15:30 UTC
    assert offered_slots(slots, places, before, date(2027, 1, 26)) == [COUNSELLING, late]
    assert offered_slots(slots, places, before, date(2027, 1, 27)) == []
    assert offered_slots(slots, places, before, provider="clinic-8") == [late]
    assert offered_slots(slots, places, NINE) == [late]  # started: no longer booked
    closed = places | {"c-2330": StationStock(2, open=False)}
    assert offered_slots(slots, closed, before) == [COUNSELLING]


def test_a_booking_claim_names_its_slot_and_no_other_claim_does():
    assert slot_choice(True, "c-0900") == "c-0900"
    assert slot_choice(False, None) == ""
    with pytest.raises(ValidationFailed, match="name one"):
        slot_choice(True, None)
    with pytest.raises(ValidationFailed, match="leave slot_id out"):
        slot_choice(False, "c-0900")


@pytest.mark.parametrize(
    "slot, words",
    [
        (Slot("x", "p", NINE, NINE, 4), "end after"),
        (Slot("x", "p", NINE, NINE + timedelta(hours=1), 0), "capacity"),
        (Slot("x", "p", NINE, NINE + timedelta(hours=1), 4, timedelta(hours=-1)), "negative"),
    ],
)
def test_a_slot_that_breaks_a_rule_is_refused(slot, words):
    with pytest.raises(ValidationFailed, match=words):
        check_slot(slot)
    check_slot(COUNSELLING)


def test_a_set_of_slots_repeats_no_id_and_ends_before_the_vouchers_lapse():
    check_slots([COUNSELLING], valid_until=COUNSELLING.ends_at)
    with pytest.raises(ValidationFailed, match="repeat"):
        check_slots([COUNSELLING, COUNSELLING], valid_until=COUNSELLING.ends_at)
    with pytest.raises(ValidationFailed, match="valid_until"):
        check_slots([COUNSELLING], valid_until=COUNSELLING.ends_at - timedelta(seconds=1))
