"""The discount kinds' arithmetic, table by table (engine/domain/discounts.py)."""

from __future__ import annotations

import pytest

from engine.domain.discounts import (
    Free,
    PercentOff,
    Threshold,
    Tier,
    check_discount,
    granted,
    shortfall,
)
from engine.errors import ValidationFailed

METRO_HALF = PercentOff(50, cap_fen=300)  # 5折, at most 3 yuan
TWO_TIERS = Threshold((Tier(10_000, 3_000), Tier(20_000, 7_000)))  # 满100减30, 满200减70


@pytest.mark.parametrize(
    "order, off",
    [
        (1, 1),  # 0.5 fen rounds half up: a one-fen ride costs nothing
        (3, 2),  # 1.5 -> 2
        (4, 2),
        (5, 3),  # 2.5 -> 3
        (399, 200),  # 199.5 -> 200
        (600, 300),
        (601, 300),  # the cap
        (10_000, 300),
    ],
)
def test_percent_off_rounds_half_up_to_the_fen_then_caps(order, off):
    assert granted(METRO_HALF, order) == off


@pytest.mark.parametrize(
    "percent, order, off",
    [
        (30, 1, 0),
        (30, 2, 1),
        (30, 5, 2),
        (30, 7, 2),
        (85, 99, 84),
        (99, 1, 1),
        (1, 49, 0),
        (1, 50, 1),
    ],
)
def test_percent_off_without_a_cap(percent, order, off):
    assert granted(PercentOff(percent), order) == off


@pytest.mark.parametrize(
    "order, off, short",
    [
        (9_999, 0, 1),  # one fen short of the first tier
        (10_000, 3_000, 0),
        (19_999, 3_000, 0),
        (20_000, 7_000, 0),  # the highest tier reached applies
        (1_000_000, 7_000, 0),
    ],
)
def test_threshold_takes_the_highest_tier_reached(order, off, short):
    assert granted(TWO_TIERS, order) == off
    assert shortfall(TWO_TIERS, order) == short


@pytest.mark.parametrize(
    "cap, order, off", [(None, 4_500, 4_500), (3_000, 4_500, 3_000), (3_000, 1_200, 1_200)]
)
def test_free_takes_the_item_up_to_its_cap(cap, order, off):
    assert granted(Free(cap), order) == off
    assert shortfall(Free(cap), order) == 0


@pytest.mark.parametrize("discount", [METRO_HALF, TWO_TIERS, Free()])
@pytest.mark.parametrize("order", [0, -100])
def test_an_order_of_nothing_is_refused(discount, order):
    with pytest.raises(ValidationFailed):
        granted(discount, order)


def test_no_discount_exceeds_its_order_whatever_the_amount():
    for order in range(1, 3_000):
        for discount in (METRO_HALF, PercentOff(99), Free(), Free(50), TWO_TIERS):
            assert 0 <= granted(discount, order) <= order


@pytest.mark.parametrize(
    "discount, words",
    [
        (PercentOff(0), "1 to 99"),
        (PercentOff(100), "1 to 99"),
        (PercentOff(50, cap_fen=0), "cap"),
        (Free(cap_fen=-1), "cap"),
        (Threshold(()), "1 to 10 tiers"),
        (Threshold((Tier(100, 100),)), "below its minimum"),
        (Threshold((Tier(100, 0),)), "below its minimum"),
        (Threshold((Tier(200, 50), Tier(100, 30))), "rise"),
        (Threshold((Tier(100, 50), Tier(200, 50))), "rise"),
    ],
)
def test_a_discount_that_breaks_a_rule_is_refused_with_the_rule(discount, words):
    with pytest.raises(ValidationFailed, match=words):
        check_discount(discount)


def test_the_seed_programmes_discounts_are_valid():
    for discount in (METRO_HALF, TWO_TIERS, Free(), Free(3_000), PercentOff(1)):
        check_discount(discount)
