"""What Redis should hold, derived from PostgreSQL and the log (pure logic)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from engine.domain.live_records import StationStock
from engine.domain.rebuild import (
    LedgerFacts,
    LoggedClaim,
    VoucherFacts,
    expected_state,
    split_unissued,
)
from engine.domain.slots import Slot, terms
from engine.domain.state_differences import differences
from tests.factories import domain_campaign

NOW = datetime(2026, 11, 29, 8, tzinfo=UTC)


def logged(claim_id: str, partition: int, offset: int, serial: int = 1) -> LoggedClaim:
    return LoggedClaim(claim_id, serial, f"w-{claim_id}", 300, 0, "", partition, offset)


def voucher(claim_id: str, serial: int, worker: str = "w") -> VoucherFacts:
    return VoucherFacts(
        claim_id, serial, worker, 300, NOW, NOW + timedelta(days=30), None, False, None
    )


def test_unissued_claims_before_the_issuers_mark_are_void_after_it_in_flight():
    events = [
        logged("a", 0, 0),  # voided: a later event on partition 0 was issued
        logged("b", 0, 1),
        logged("c", 0, 2),  # not reached yet
        logged("d", 1, 0),  # partition 1: nothing issued yet, so in flight
    ]
    void, in_flight = split_unissued(events, issued={"b"})
    assert set(void) == {"a"} and set(in_flight) == {"c", "d"}


def test_the_last_event_of_a_released_and_readmitted_claim_counts():
    events = [logged("a", 0, 0, serial=1), logged("a", 0, 3, serial=2), logged("x", 0, 5)]
    void, in_flight = split_unissued(events, issued={"x"})
    assert void["a"].serial == 2 and not in_flight


def test_expected_state_counts_vouchers_redemptions_and_claims_in_flight():
    campaign = domain_campaign(quota=10)
    vouchers = [voucher("c1", 1, "w1"), voucher("c2", 2, "w2")]
    ledger = [LedgerFacts("r1", "redemption", "m", 1, 300, 300, None, None, None, NOW)]
    in_flight = {"c3": logged("c3", 0, 9, serial=3)}
    s = expected_state(campaign, vouchers, ledger, {}, in_flight, None, NOW)
    assert s.counters.admitted == 3 and s.counters.issued == 2
    assert s.counters.redeemed == 1 and s.counters.redeemed_fen == 300
    assert s.counters.spent == 900 and s.counters.next_serial == 3
    assert s.vouchers[1].status == "redeemed" and s.vouchers[2].status == "issued"
    assert s.vouchers[1].redeemed_by == "m" and s.vouchers[1].balance_fen == 0
    assert s.claims["c3"].state == "acked" and s.per_worker["w-c3"] == 1
    assert s.redemptions["r1"].balance_fen == 0


def test_differences_name_every_mismatch_and_accept_an_equal_state():
    campaign = domain_campaign(quota=10)
    want = expected_state(campaign, [voucher("c1", 1)], [], {}, {}, None, NOW)
    assert differences("c", want, want) == []
    have = expected_state(campaign, [voucher("c1", 1)], [], {}, {}, None, NOW)
    have.counters.admitted = 0
    have.vouchers[1] = replace(have.vouchers[1], status="issued", balance_fen=0)
    have.claims["c1"] = replace(have.claims["c1"], state="taken")
    found = differences("c", want, have)
    assert len(found) == 3, found
    assert any("counter admitted is 0" in line for line in found)


def test_a_record_redis_lost_shows_as_missing_and_settled_states_agree():
    campaign = domain_campaign(quota=10)
    in_flight = {"c2": logged("c2", 0, 4, serial=2)}
    want = expected_state(campaign, [voucher("c1", 1)], [], {}, in_flight, None, NOW)
    have = expected_state(campaign, [voucher("c1", 1)], [], {}, in_flight, None, NOW)
    have.claims["c2"] = replace(have.claims["c2"], state="taken")  # acked or taken: settled
    del have.vouchers[1]
    found = differences("c", want, have)
    shown = "{'status': 'missing', 'balance_fen': 'missing'}"
    assert found == [
        f"c: voucher 1 is {shown} in Redis, {{'status': 'issued', 'balance_fen': 300}} expected"
    ]


def test_a_cancelled_booking_gives_its_place_back_and_a_standing_one_keeps_its_terms():
    campaign = domain_campaign(quota=4, slots=True)
    start = NOW + timedelta(days=1)
    slot = Slot("s1", "clinic-7", start, start + timedelta(minutes=50), capacity=2)
    standing = replace(voucher("c1", 1, "w1"), station_id="s1")
    cancelled = replace(
        voucher("c2", 2, "w2"), station_id="s1", revoked_reason="cancelled", cancelled=True
    )
    s = expected_state(campaign, [standing, cancelled], [], {}, {}, None, NOW, slots=[slot])
    assert s.stations == {"s1": StationStock(1, slot=terms(slot))}
    assert s.claims["c2"].state == "cancelled" and s.claims["c1"].state == "issued"
    assert s.counters.admitted == 1 and s.counters.spent == 300 and s.counters.revoked == 1
    assert s.per_worker == {"w1": 1} and s.counters.next_serial == 2
    # Checked in only at the provider's store, from the slot's margin on.
    assert s.vouchers[1].station_id == "clinic-7"
    assert s.vouchers[1].check_in_from_ms == terms(slot).check_in_from_ms
    assert s.vouchers[2].status == "revoked"
