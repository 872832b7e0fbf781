"""The cash-out rules find scripted fraud mixed into a normal day, and nothing else."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

from engine.domain.cashout import Redeemed, Thresholds, hits, merchants_of

# 10:00 in Suzhou, in UTC.
MORNING = datetime(2027, 1, 25, 2, tzinfo=UTC)
LIMITS = Thresholds()


def normal_window(rng: random.Random, start: datetime, n: int = 400) -> list[Redeemed]:
    """Ten minutes of a normal day: 30 stores of 10 merchants, each worker at one store,
    a few reversals, stored-value cards spent in odd amounts."""
    window = []
    for i in range(n):
        store = rng.randrange(30)
        stored = rng.random() < 0.3
        balance = rng.randrange(1_000, 20_000)
        amount = balance - rng.randrange(1, 500) if stored else 300
        window.append(
            Redeemed(
                redemption_id=f"r{start:%H%M}-{i}",
                merchant_id=f"m{store % 10}",
                store_id=f"s{store}",
                terminal_id=f"t{store}-{rng.randrange(3)}",
                worker_id=f"w{rng.randrange(100_000)}",
                amount_fen=amount,
                balance_before_fen=balance if stored else 300,
                stored_value=stored,
                at=start + timedelta(seconds=rng.randrange(600)),
                reversed=rng.random() < 0.02,
            )
        )
    return window


def test_a_normal_day_raises_nothing():
    rng = random.Random(2027)
    for window in range(66):  # 10:00 to 21:00 in ten-minute windows
        start = MORNING + timedelta(minutes=10 * window)
        assert hits(normal_window(rng, start), LIMITS) == [], start


def test_each_scripted_pattern_is_found_among_normal_traffic():
    rng = random.Random(7)
    window = normal_window(rng, MORNING)
    base = window[0]

    def fraud(tag: str, n: int, **fields) -> list[Redeemed]:
        """n redemptions like `base`; a field given as a function takes the index."""
        made = []
        for i in range(n):
            values = {"reversed": False} | {
                k: (v(i) if callable(v) else v) for k, v in fields.items()
            }
            made.append(replace(base, redemption_id=f"{tag}-{i}", **values))
        return made

    # A store redeeming 50 different workers' vouchers with no sale behind them.
    window += fraud(
        "farm",
        50,
        merchant_id="m-farm",
        store_id="s1",
        terminal_id="tf",
        worker_id=lambda i: f"bought-{i}",
    )
    # The same till at two merchants.
    window += fraud(
        "till",
        2,
        merchant_id=lambda i: f"m-till-{i}",
        store_id="s1",
        terminal_id="t-shared",
        worker_id=lambda i: f"x{i}",
    )
    # One worker at four stores in ten minutes.
    window += fraud(
        "hop",
        4,
        merchant_id="m-hop",
        store_id=lambda i: f"h{i}",
        terminal_id=lambda i: f"th{i}",
        worker_id="w-hopper",
    )
    # Cards emptied in whole yuan, again and again.
    window += fraud(
        "empty",
        3,
        merchant_id="m-cash",
        store_id="s9",
        terminal_id="tc",
        worker_id=lambda i: f"c{i}",
        stored_value=True,
        amount_fen=5_000,
        balance_before_fen=5_000,
    )
    # Mostly reversed.
    window += fraud(
        "rev",
        12,
        merchant_id="m-rev",
        store_id="s2",
        terminal_id="tr",
        worker_id=lambda i: f"v{i}",
        reversed=lambda i: i % 4 != 0,
    )
    # Redeemed at 03:00.
    window += fraud(
        "night",
        1,
        merchant_id="m-night",
        store_id="s3",
        terminal_id="tn",
        worker_id="n1",
        at=MORNING - timedelta(hours=7),
    )

    found = {(h.rule, h.subject): h.evidence for h in hits(window, LIMITS)}
    assert set(found) == {
        ("many-workers-at-one-store", "store:m-farm/s1"),
        ("terminal-at-several-merchants", "terminal:t-shared"),
        ("worker-at-several-stores", "worker:w-hopper"),
        ("round-spends-to-zero", "store:m-cash/s9"),
        ("mostly-reversed", "store:m-rev/s2"),
        ("outside-opening-hours", "store:m-night/s3"),
    }
    assert len(found[("many-workers-at-one-store", "store:m-farm/s1")]) == 50
    assert found[("outside-opening-hours", "store:m-night/s3")] == ("night-0",)
    assert len(found[("mostly-reversed", "store:m-rev/s2")]) == 9  # the evidence: reversals


def test_thresholds_ops_change_take_effect():
    rng = random.Random(11)
    window = normal_window(rng, MORNING)
    strict = Thresholds(distinct_workers_per_store=2)
    assert any(h.rule == "many-workers-at-one-store" for h in hits(window, strict))
    night_shift = Thresholds(opening=time(23), closing=time(6))  # runs past midnight
    assert {h.rule for h in hits(window, night_shift)} == {"outside-opening-hours"}
    around_the_clock = Thresholds(opening=time(0), closing=time(0))
    assert hits(normal_window(rng, MORNING - timedelta(hours=7)), around_the_clock) == []


def test_hours_past_midnight_and_around_the_clock():
    night_shift = Thresholds(opening=time(22), closing=time(2))
    assert night_shift.is_open(time(23, 59)) and night_shift.is_open(time(1, 59))
    assert not night_shift.is_open(time(2)) and not night_shift.is_open(time(12))
    assert Thresholds(opening=time(8), closing=time(8)).is_open(time(3))
    assert not Thresholds().is_open(time(22)) and Thresholds().is_open(time(7))


def test_thresholds_read_back_as_stored():
    changed = Thresholds(window_minutes=30, opening=time(6, 30), merchants_per_terminal=3)
    stored = changed.document()
    assert stored["opening"] == "06:30" and stored["window_minutes"] == 30
    assert Thresholds.of(stored) == changed
    assert Thresholds.of({"unknown": 1, "stores_per_worker": 5}) == Thresholds(stores_per_worker=5)


def test_a_hits_merchants_are_those_of_its_evidence():
    rng = random.Random(3)
    window = normal_window(rng, MORNING, n=5)
    shared = [replace(r, terminal_id="t-x", merchant_id=f"m-{i % 2}") for i, r in enumerate(window)]
    (hit,) = [h for h in hits(shared, LIMITS) if h.rule == "terminal-at-several-merchants"]
    assert merchants_of(hit, shared) == ("m-0", "m-1")


def test_a_merchants_own_system_is_no_store_to_judge_by_place():
    rng = random.Random(5)
    online = [
        replace(r, merchant_id="m-online", store_id="", terminal_id="", worker_id=f"o{i}",
                at=MORNING - timedelta(hours=7))
        for i, r in enumerate(normal_window(rng, MORNING, n=60))
    ]  # fmt: skip
    assert hits(online, LIMITS) == []  # 60 workers, at 03:00, and no store
    hopper = [replace(r, worker_id="w-1", store_id="") for r in online[:5]]
    assert hits(hopper, LIMITS) == []
