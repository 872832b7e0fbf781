"""A booking's life in a slot (engine/domain/slots.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.domain.slots import (
    CheckIn,
    Slot,
    cancellable,
    check_in,
    check_slot,
    free_places,
    no_show,
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


@pytest.mark.parametrize(
    "provider, now, answer",
    [
        ("clinic-7", NINE - timedelta(minutes=31), CheckIn.TOO_EARLY),
        ("clinic-7", NINE - timedelta(minutes=30), CheckIn.ALLOWED),
        ("clinic-7", NINE + timedelta(minutes=49), CheckIn.ALLOWED),
        ("clinic-7", NINE + timedelta(minutes=50), CheckIn.SLOT_OVER),
        ("clinic-8", NINE, CheckIn.WRONG_PROVIDER),
    ],
)
def test_a_worker_is_checked_in_by_the_slots_provider_in_its_time(provider, now, answer):
    assert check_in(COUNSELLING, provider, now) == answer


def test_an_unattended_booking_is_a_no_show_once_the_slot_is_over():
    end = COUNSELLING.ends_at
    assert not no_show(COUNSELLING, checked_in=False, now=end - timedelta(seconds=1))
    assert no_show(COUNSELLING, checked_in=False, now=end)
    assert not no_show(COUNSELLING, checked_in=True, now=end + timedelta(days=1))


def test_free_places_never_go_below_zero():
    assert [free_places(COUNSELLING, n) for n in (0, 3, 4, 5)] == [4, 1, 0, 0]


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
