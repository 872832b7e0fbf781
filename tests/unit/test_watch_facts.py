"""What the cash-out watch takes from the log and the ledger, and the windows it judges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engine.domain.ledger import Entry
from engine.domain.watch import (
    seen_in_ledger,
    seen_redemption,
    seen_reversal,
    subjects_of,
    window_ends,
)

T0 = datetime(2027, 1, 25, 2, tzinfo=UTC)
MS = int(T0.timestamp() * 1000)
REDEEMED = {
    "redemption_id": "r1",
    "campaign_id": "c",
    "serial": 7,
    "merchant_id": "m",
    "face_value_fen": 5_000,
    "redeemed_at_ms": MS,
    "amount_fen": 1_200,
    "balance_fen": 3_800,
    "store_id": "s",
    "terminal_id": "t",
}


def test_a_redemption_is_kept_with_its_balance_before_and_malformed_ones_are_not():
    seen = seen_redemption(REDEEMED)
    assert seen is not None
    assert (seen.balance_before_fen, seen.at, seen.terminal_id) == (5_000, T0, "t")
    for broken in ({"serial": "7"}, {"amount_fen": True}, {"store_id": 3}, {"redemption_id": ""}):
        assert seen_redemption(REDEEMED | broken) is None, broken
    assert seen_redemption({k: v for k, v in REDEEMED.items() if k != "redeemed_at_ms"}) is None
    assert seen_redemption({"fence": "x"}) is None
    reversal = {"reversal_id": "v1", "redemption_id": "r1", "merchant_id": "m", "store_id": "s"}
    assert seen_reversal(reversal | {"reversed_at_ms": MS}) is not None
    assert seen_reversal(reversal) is None  # no time


def test_a_batch_touches_its_stores_terminals_and_workers_by_redemption():
    seen = seen_redemption(REDEEMED)
    assert seen is not None
    reversal = seen_reversal(
        {"reversal_id": "v", "redemption_id": "r0", "merchant_id": "m2", "store_id": "",
         "reversed_at_ms": MS}
    )  # fmt: skip
    assert reversal is not None
    subjects = subjects_of([seen], [reversal])
    assert subjects.stores == {("m", "s"), ("m2", "")}
    assert (subjects.terminals, subjects.redemption_ids) == ({"t"}, {"r1"})


def test_window_ends_cover_every_time_with_the_fewest_windows():
    ten = timedelta(minutes=10)
    assert window_ends([T0], ten) == [T0]
    live = [T0 + timedelta(seconds=s) for s in (0, 1, 2)]
    assert window_ends(live, ten) == [live[-1]]
    backlog = [T0 + timedelta(minutes=m) for m in (0, 5, 10, 11, 25)]
    ends = window_ends(backlog, ten)
    assert ends == [backlog[4], backlog[3], backlog[0]]
    for at in backlog:
        assert any(end - ten < at <= end for end in ends), at


def test_the_ledger_gives_each_redemption_the_balance_its_card_had():
    def entry(entry_id: str, kind: str, amount: int, minute: int, **more: object) -> Entry:
        return Entry(entry_id, kind, "m", "c", 1, amount, 5_000, MS + minute * 60_000,
                     store_id="s", **more)  # type: ignore[arg-type]  # fmt: skip

    entries = [
        entry("r1", "redemption", 1_000, 0),
        entry("v1", "reversal", -1_000, 1, reverses="r1"),
        entry("r2", "redemption", 3_000, 2),
        entry("r3", "redemption", 2_000, 3),
    ]
    redemptions, reversals = seen_in_ledger(reversed(entries), T0 + timedelta(minutes=1))
    assert [(s.redemption_id, s.balance_before_fen) for s in redemptions] == [
        ("r2", 5_000),
        ("r3", 2_000),
    ]
    assert [(r.reversal_id, r.redemption_id) for r in reversals] == [("v1", "r1")]


def test_a_reversal_in_the_same_millisecond_follows_its_redemption():
    redemption = Entry("zz-r", "redemption", "m", "c", 1, 5_000, 5_000, MS, store_id="s")
    reversal = Entry("aa-v", "reversal", "m", "c", 1, -5_000, 5_000, MS, reverses="zz-r")
    (seen,), (back,) = seen_in_ledger([reversal, redemption], T0)
    assert (seen.balance_before_fen, back.redemption_id) == (5_000, "zz-r")
