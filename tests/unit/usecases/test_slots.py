"""Services booked by the slot, over the in-memory engine and a clock the test moves: a
place taken with the claim, cancelled until the deadline, checked in only by the provider
in the slot's window, a no-show once it is over, and rebuilt after the decision store is
lost."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.domain.slots import Slot
from engine.errors import (
    AnotherStation,
    CancelDeadlinePassed,
    Expired,
    NotFound,
    Revoked,
    SlotStarted,
    StationOutOfStock,
    TooEarly,
    ValidationFailed,
)
from tests.helpers.memory import OPS, World
from tests.unit.usecases.test_stations import station_staff


async def booking_world() -> tuple[World, str, Slot]:
    w = World()
    await w.merchant("union")
    c = await w.campaign(quota=3, slots=True, merchants=("union",))
    start = w.clock.now() + timedelta(hours=3)
    slot = Slot("xl-1", "room-a", start, start + timedelta(minutes=50), 1, service="心理咨询")
    await w.engine.slots.define(c.id, [slot], OPS)
    return w, c.id, slot


async def test_a_slot_is_defined_within_the_programmes_validity_and_only_for_a_booking_one():
    w, cid, slot = await booking_world()
    late = Slot("xl-2", "room-a", slot.starts_at, slot.starts_at + timedelta(days=60), 1)
    with pytest.raises(ValidationFailed, match="valid_until"):
        await w.engine.slots.define(cid, [late], OPS)
    other = await w.campaign()
    with pytest.raises(NotFound):
        await w.engine.slots.define(other.id, [slot], OPS)
    assert [s["slot_id"] for s in await w.engine.slots.ops_view(cid)] == ["xl-1"]


async def test_a_booking_is_cancelled_until_its_deadline_and_its_place_booked_again():
    w, cid, _ = await booking_world()
    first, second = await w.worker("w1"), await w.worker("w2")
    booked = await w.engine.claims.claim(cid, first, "k", slot_id="xl-1")
    with pytest.raises(StationOutOfStock):
        await w.engine.claims.claim(cid, second, "k", slot_id="xl-1")
    await w.stream()
    with pytest.raises(NotFound):  # not the second worker's booking
        await w.engine.slots.cancel(second, booked.claim_id)
    assert (await w.engine.slots.cancel(first, booked.claim_id))["cancelled_now"] is True
    assert (await w.engine.slots.cancel(first, booked.claim_id))["cancelled_now"] is False
    [mine] = await w.engine.claims.vouchers_of(first)
    assert mine["booking"]["cancelled"] is True and mine["status"] == "revoked"
    again = await w.engine.claims.claim(cid, second, "k2", slot_id="xl-1")
    await w.stream()
    w.clock.advance(3600 + 1)  # past the deadline: two hours before the start
    with pytest.raises(CancelDeadlinePassed):
        await w.engine.slots.cancel(second, again.claim_id)
    [fill] = await w.engine.slots.ops_view(cid)
    assert (fill["left"], fill["booked"], fill["cancelled"]) == (0, 1, 1)


async def test_the_provider_checks_in_from_the_margin_until_the_end_then_it_is_a_no_show():
    w, cid, slot = await booking_world()
    room, other = await station_staff(w, "room-a"), await station_staff(w, "room-b")
    who, late = await w.worker("w1"), await w.worker("w2")
    booked = await w.engine.claims.claim(cid, who, "k", slot_id="xl-1")
    await w.stream()
    code = (await w.engine.claims.voucher(booked.claim_id, who)).code
    with pytest.raises(TooEarly):
        await w.engine.redemptions.redeem(room, code, "r-1")
    w.clock.moment = slot.starts_at - timedelta(minutes=30)
    with pytest.raises(AnotherStation):
        await w.engine.redemptions.redeem(other, code, "r-2")
    w.clock.moment = slot.starts_at
    with pytest.raises(SlotStarted):
        await w.engine.claims.claim(cid, late, "k", slot_id="xl-1")
    w.clock.moment = slot.ends_at
    with pytest.raises(Expired):
        await w.engine.redemptions.redeem(room, code, "r-3")
    [fill] = await w.engine.slots.ops_view(cid)
    assert (fill["booked"], fill["checked_in"], fill["no_shows"]) == (1, 0, 1)


async def test_a_cancelled_booking_stays_cancelled_and_its_place_free_after_a_rebuild():
    w, cid, _ = await booking_world()
    room = await station_staff(w, "room-a")
    who = await w.worker("w1")
    booked = await w.engine.claims.claim(cid, who, "k", slot_id="xl-1")
    await w.stream()
    code = (await w.engine.claims.voucher(booked.claim_id, who)).code
    await w.engine.slots.cancel(who, booked.claim_id)

    w.store.lose()
    w.engine.reconciler.issuer_quiet_s = 0
    w.engine.reconciler.log = lambda line: None
    report = await w.engine.reconciler.reconcile(repair=True, by=OPS)
    assert report.differences == []
    assert [s["left"] for s in await w.engine.slots.offered(cid)] == [1]
    with pytest.raises(Revoked):
        await w.engine.redemptions.redeem(room, code, "r-1")
    assert (await w.engine.slots.cancel(who, booked.claim_id))["cancelled_now"] is False
