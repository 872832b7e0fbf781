"""Splitting a co-funded redemption between its payers (engine/domain/cofunding.py)."""

from __future__ import annotations

import random
from datetime import date

import pytest

from engine.domain.cofunding import (
    Payer,
    PayerDay,
    check_payers,
    most_per_voucher,
    payer_days,
    split,
    vouchers_within_budgets,
)
from engine.errors import ValidationFailed

# Fuel: the union pays 70%, the ride-hailing platform 30%.
FUEL = [Payer("union", percent=70), Payer("didi", percent=30)]
# Charging: the operator pays 5 yuan per voucher, the rest is halved.
CHARGING = [Payer("operator", fixed_fen=500), Payer("union", percent=50), Payer("city", percent=50)]


@pytest.mark.parametrize(
    "payers, amount, parts",
    [
        (FUEL, 10_000, {"union": 7_000, "didi": 3_000}),
        (FUEL, 1, {"union": 1, "didi": 0}),  # 0.7 and 0.3: the larger remainder gets the fen
        (FUEL, 3, {"union": 2, "didi": 1}),  # 2.1 and 0.9
        (FUEL, 0, {"union": 0, "didi": 0}),
        (CHARGING, 2_000, {"operator": 500, "union": 750, "city": 750}),
        (CHARGING, 501, {"operator": 500, "union": 1, "city": 0}),  # a tie: the first listed
        (
            CHARGING,
            300,
            {"operator": 300, "union": 0, "city": 0},
        ),  # the fixed share as far as it goes
        (
            [Payer("a", percent=33), Payer("b", percent=33), Payer("c", percent=34)],
            100,
            {"a": 33, "b": 33, "c": 34},
        ),
        (
            [Payer("a", percent=33), Payer("b", percent=33), Payer("c", percent=34)],
            1,
            {"a": 0, "b": 0, "c": 1},
        ),
    ],
)
def test_a_split_gives_each_payer_its_share(payers, amount, parts):
    assert split(payers, amount) == parts


def test_the_parts_always_add_up_to_the_fen():
    rng = random.Random(2027)
    for _ in range(2_000):
        cut = sorted(rng.sample(range(1, 100), rng.randint(0, 4)))
        percents = [b - a for a, b in zip([0, *cut], [*cut, 100], strict=True)]
        payers = [Payer(f"p{i}", percent=n) for i, n in enumerate(percents)]
        payers += [Payer(f"f{i}", fixed_fen=rng.randint(1, 500)) for i in range(rng.randint(0, 2))]
        rng.shuffle(payers)
        amount = rng.randint(0, 100_000)
        parts = split(payers, amount)
        assert sum(parts.values()) == amount and min(parts.values()) >= 0
        for p in payers:  # nobody pays more than a fen over their exact share
            if p.percent is not None:
                fixed = sum(parts[q.payer_id] for q in payers if q.fixed_fen is not None)
                assert abs(parts[p.payer_id] - (amount - fixed) * p.percent / 100) < 1


def test_a_negative_amount_is_refused():
    with pytest.raises(ValidationFailed):
        split(FUEL, -1)


@pytest.mark.parametrize(
    "payers, words",
    [
        ([], "1 to 10 payers"),
        ([Payer("a", percent=60), Payer("a", percent=40)], "repeat"),
        ([Payer("a")], "percent or a fixed"),
        ([Payer("a", percent=50, fixed_fen=10)], "percent or a fixed"),
        ([Payer("a", percent=0), Payer("b", percent=100)], "1 to 100"),
        ([Payer("a", fixed_fen=0), Payer("b", percent=100)], "positive"),
        ([Payer("a", percent=60), Payer("b", percent=30)], "add up to 100"),
        ([Payer("a", fixed_fen=500)], "add up to 100"),
    ],
)
def test_payers_that_break_a_rule_are_refused_with_the_rule(payers, words):
    with pytest.raises(ValidationFailed, match=words):
        check_payers(payers)


def test_the_seed_programmes_payers_are_valid():
    check_payers(FUEL)
    check_payers(CHARGING)


def test_each_days_parts_add_up_to_the_days_rows_redeemed_and_reversed():
    payers = [Payer("op", fixed_fen=150), Payer("union", percent=70), Payer("shop", percent=30)]
    jan1, jan2 = date(2027, 1, 1), date(2027, 1, 2)
    rows = [(jan1, 1_000), (jan1, 333), (jan1, -333), (jan2, 1), (jan2, 149)]
    days = payer_days(payers, rows)
    assert days["op"][jan1] == PayerDay(300, 150) and days["op"][jan2] == PayerDay(150, 0)
    assert days["union"][jan1] == PayerDay(723, 128) and days["shop"][jan1] == PayerDay(310, 55)
    for day in (jan1, jan2):
        total = sum(amount for d, amount in rows if d == day)
        assert sum(days[p.payer_id][day].net_fen for p in payers) == total


def test_a_voucher_costs_each_payer_at_most_its_share_of_the_face_and_budgets_count_vouchers():
    payers = [
        Payer("op", fixed_fen=150, budget_fen=1_500),
        Payer("union", percent=70, budget_fen=100_000),
        Payer("shop", percent=30),
    ]
    assert most_per_voucher(payers, 1_000) == {"op": 150, "union": 595, "shop": 255}
    assert most_per_voucher(payers, 1_001) == {"op": 150, "union": 596, "shop": 256}  # 595.7
    for amount in range(1_002):  # no amount up to the face costs anyone more
        parts = split(payers, amount)
        assert all(parts[p] <= most for p, most in most_per_voucher(payers, 1_001).items())
    assert vouchers_within_budgets(payers, 1_000) == 10  # the operator's 15 yuan binds
    assert vouchers_within_budgets([Payer("u", percent=100)], 1_000) is None
