"""One suite of cases for each decision port, run against the Redis adapter (one Redis or
the cluster, as the run is shaped) and against the in-memory one the use-case tests use
(engine/adapters/memory): the two cannot drift without a case here failing for one."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from engine.adapters.memory import MemoryDecisionStore
from engine.adapters.redis import Redis
from engine.domain.admission import REPEAT, AdmitRequest, CapReservation, ClaimCancel
from engine.domain.api_keys import REVOKED, key_digest
from engine.domain.campaigns import Status, Wave
from engine.domain.clock import SystemClock
from engine.domain.idempotency import MERCHANT, WORKER, KeyBinding
from engine.domain.live_records import StationStock
from engine.domain.rebuild import LedgerFacts, VoucherFacts, expected_state
from engine.domain.redemption import RedeemRequest, ReverseRequest
from engine.domain.settlement import Activation, Decision
from engine.domain.slots import Slot, terms
from engine.domain.state_differences import differences
from engine.domain.stations import TO_CHOOSE, Station
from engine.errors import (
    AlreadyRedeemed,
    AnotherStation,
    ClaimWindowClosed,
    Conflict,
    Forbidden,
    IdempotencyKeyReused,
    InsufficientBalance,
    InvalidCode,
    LimitReached,
    NotEligible,
    NotFound,
    NotYetIssued,
    ReversalWindowClosed,
    Revoked,
    SlotStarted,
    SoldOut,
    StationClosed,
    StationNotChosen,
    StationOutOfStock,
    TooEarly,
    TooManyAttempts,
    Unavailable,
    ValidationFailed,
)
from engine.usecases.ports.stores import DecisionStore
from tests.factories import domain_campaign


@pytest.fixture(params=["memory", "redis"])
async def ports(request, settings) -> AsyncIterator[DecisionStore]:
    if request.param == "memory":
        yield MemoryDecisionStore(SystemClock())
        return
    redis = Redis.from_settings(settings, 4)
    yield redis
    await redis.close()


def now_ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


async def campaign(ports: DecisionStore, **overrides: Any) -> str:
    c = domain_campaign(prefix="contract", number=7, **overrides)
    await ports.definitions.init_campaign(c)
    return c.id


def ask(cid: str, claim: str, worker: str = "w1", category: str = "courier") -> AdmitRequest:
    return AdmitRequest(cid, claim, worker, category, now_ms(), 300)


async def test_admits_until_sold_out_and_counts(ports):
    cid = await campaign(ports, quota=3)
    serials = [(await ports.admissions.admit(ask(cid, f"c{i}", f"w{i}"))).serial for i in range(3)]
    assert sorted(serials) == [1, 2, 3]
    with pytest.raises(SoldOut):
        await ports.admissions.admit(ask(cid, "c3", "w3"))
    counters = await ports.figures.counters(cid)
    assert (counters.admitted, counters.spent) == (3, 900)


async def test_a_repeat_answers_the_first_admission(ports):
    cid = await campaign(ports)
    first = await ports.admissions.admit(ask(cid, "c1"))
    again = await ports.admissions.admit(ask(cid, "c1"))
    assert first.is_new and not again.is_new and again.status == REPEAT
    assert (again.serial, again.state) == (first.serial, "pending")
    assert (await ports.figures.counters(cid)).admitted == 1


async def test_refusals(ports):
    cid = await campaign(ports, per_worker_limit=1)
    await ports.admissions.admit(ask(cid, "c1"))
    with pytest.raises(LimitReached):
        await ports.admissions.admit(ask(cid, "c2"))
    with pytest.raises(NotEligible):
        await ports.admissions.admit(ask(cid, "c3", "w2", category="driver"))
    closed = await campaign(ports, status=Status.PAUSED)
    with pytest.raises(ClaimWindowClosed):
        await ports.admissions.admit(ask(closed, "c1"))
    with pytest.raises(Unavailable):
        await ports.admissions.admit(ask(f"never-{uuid.uuid4().hex[:6]}", "c1"))


async def test_only_released_waves_are_claimable(ports):
    now = datetime.now(UTC)
    waves = (Wave(now - timedelta(minutes=5), 1), Wave(now + timedelta(hours=1), 1))
    cid = await campaign(ports, quota=2, waves=waves)
    await ports.admissions.admit(ask(cid, "c1", "w1"))
    with pytest.raises(SoldOut):
        await ports.admissions.admit(ask(cid, "c2", "w2"))


async def test_release_take_and_stale_serials(ports):
    cid = await campaign(ports)
    d = Decision("claim", cid, "c1")
    a = await ports.admissions.admit(ask(cid, "c1"))
    assert await ports.settlement.unsettled_before(cid, now_ms() + 1000) == [d]
    assert await ports.admissions.release_claim(ask(cid, "c1"), a.serial) == "released"
    assert await ports.settlement.unsettled_before(cid, now_ms() + 1000) == []
    assert (await ports.figures.counters(cid)).admitted == 0
    b = await ports.admissions.admit(ask(cid, "c1"))
    assert b.is_new and b.serial != a.serial
    assert await ports.settlement.take_many([(d, a.serial), (d, b.serial)]) == ["stale", "taken"]
    assert await ports.admissions.release_claim(ask(cid, "c1"), b.serial) == "taken"


async def test_a_batch_across_campaigns_is_taken_and_activated_in_its_order(ports):
    """The issuer's batches mix campaigns (a partition holds any campaign's claims): each
    answer stays with its own event, and each campaign counts only its own vouchers."""
    first, second = await campaign(ports), await campaign(ports)
    a = await ports.admissions.admit(ask(first, "c1", "w1"))
    b = await ports.admissions.admit(ask(second, "c1", "w1"))
    c = await ports.admissions.admit(ask(first, "c2", "w2"))
    ds = [Decision("claim", cid, claim) for cid, claim in ((first, "c1"), (second, "c1"))]
    ds.append(Decision("claim", first, "c2"))
    assert await ports.admissions.release_claim(ask(second, "c1", "w1"), b.serial) == "released"
    batch = [(ds[0], a.serial), (ds[1], b.serial), (ds[2], c.serial), (ds[0], 999)]
    assert await ports.settlement.take_many(batch) == ["taken", "released", "taken", "stale"]
    vouchers = [
        Activation(first, "c2", c.serial, 300, 2**31),
        Activation(first, "c1", a.serial, 300, 2**31),
    ]
    assert await ports.settlement.activate_many(vouchers[:1]) == [1]
    assert await ports.settlement.activate_many(vouchers) == [0, 1]
    assert (await ports.figures.counters(first)).issued == 2
    assert (await ports.figures.counters(second)).issued == 0


async def test_confirm_then_take_then_activate_once(ports):
    cid = await campaign(ports)
    d = Decision("claim", cid, "c1")
    a = await ports.admissions.admit(ask(cid, "c1"))
    assert await ports.settlement.confirm(d, a.serial) == "acked"
    assert await ports.settlement.take_many([(d, a.serial)] * 2) == ["taken", "taken"]
    assert await ports.settlement.take_many([(Decision("claim", cid, "x"), 1)]) == ["missing"]
    v = Activation(cid, "c1", a.serial, 300, 2**31)
    assert await ports.settlement.activate_many([v, v]) == [1, 0]
    assert (await ports.admissions.claim_record(cid, "c1")).state == "issued"
    assert (await ports.figures.counters(cid)).issued == 1


async def test_cap_reservations(ports):
    group = f"g{uuid.uuid4().hex[:8]}"
    r = CapReservation(group, "2026-11", "c1", "w1", "camp", 600)
    assert await ports.admissions.cap_reserve(r, 1000, 60, now_ms()) == 1
    assert await ports.admissions.cap_reserve(r, 1000, 60, now_ms()) == 2
    other = CapReservation(group, "2026-11", "c2", "w1", "camp", 600)
    assert await ports.admissions.cap_reserve(other, 1000, 60, now_ms()) == 0
    assert await ports.admissions.cap_release(group, "2026-11", "c1", "w1") is True
    assert await ports.admissions.cap_release(group, "2026-11", "c1", "w1") is False
    assert await ports.admissions.cap_reserve(other, 1000, 60, now_ms()) == 1


async def test_a_revoked_key_stays_revoked_whatever_fills_come_late(ports):
    api_key = f"nxm_{uuid.uuid4().hex}"
    assert await ports.key_cache.lookup(api_key, 60, 100) == (None, 0)
    await ports.key_cache.remember(api_key, "m1||k-1", 60)
    await ports.key_cache.remember(api_key, "m2||k-2", 60)  # a fill never overwrites
    assert await ports.key_cache.lookup(api_key, 60, 100) == ("m1||k-1", 0)
    await ports.key_cache.revoke(key_digest(api_key), 60)
    await ports.key_cache.remember(api_key, "m1||k-1", 60)  # read PostgreSQL before it
    assert await ports.key_cache.lookup(api_key, 60, 100) == (REVOKED, 0)


async def test_a_key_lookup_counts_the_request_against_the_keys_rate(ports):
    api_key, unknown = f"nxm_{uuid.uuid4().hex}", f"nxm_{uuid.uuid4().hex}"
    await ports.key_cache.remember(api_key, "m1||k-1", 60)
    answers = await asyncio.gather(*(ports.key_cache.lookup(api_key, 60, 3) for _ in range(5)))
    assert [value for value, _ in answers] == ["m1||k-1"] * 5
    assert [bool(wait) for _, wait in answers] == [False, False, False, True, True]
    assert 0 < answers[-1][1] <= 60
    # A key that is not cached (or is revoked) is not counted: asking for it never waits.
    for _ in range(5):
        assert await ports.key_cache.lookup(unknown, 60, 3) == (None, 0)


async def issued(ports: DecisionStore, stored_value: bool = False) -> tuple[str, int]:
    """A campaign with merchant m1 enrolled and one voucher of 300 fen active."""
    cid = await campaign(ports, merchants=("m1",), stored_value=stored_value)
    a = await ports.admissions.admit(ask(cid, "c1"))
    await ports.settlement.take_many([(Decision("claim", cid, "c1"), a.serial)])
    expires = int((datetime.now(UTC) + timedelta(days=1)).timestamp())
    await ports.settlement.activate_many(
        [Activation(cid, "c1", a.serial, 300, expires, stored_value, "digest-1")]
    )
    return cid, a.serial


def redeem_ask(cid: str, serial: int, rid: str, amount: int = 0, **kw: Any) -> RedeemRequest:
    return RedeemRequest(cid, serial, "m1", rid, now_ms(), amount, request_digest="r", **kw)


async def test_a_voucher_is_redeemed_in_parts_once_per_key_and_released_back(ports):
    cid, serial = await issued(ports, stored_value=True)
    first = await ports.redemptions.redeem(redeem_ask(cid, serial, "r1", 100))
    assert (first.is_new, first.amount_fen, first.balance_fen) == (True, 100, 200)
    again = await ports.redemptions.redeem(redeem_ask(cid, serial, "r1", 100))
    assert (again.is_new, again.balance_fen) == (False, 200)
    with pytest.raises(IdempotencyKeyReused):
        await ports.redemptions.redeem(replace(redeem_ask(cid, serial, "r1"), request_digest="x"))
    with pytest.raises(InsufficientBalance):
        await ports.redemptions.redeem(redeem_ask(cid, serial, "r2", 500))
    with pytest.raises(InvalidCode):
        await ports.redemptions.redeem(redeem_ask(cid, serial, "r3", code_digest="wrong"))
    with pytest.raises(Forbidden):
        await ports.redemptions.redeem(replace(redeem_ask(cid, serial, "r4"), merchant_id="m2"))
    rest = await ports.redemptions.redeem(redeem_ask(cid, serial, "r5", code_digest="digest-1"))
    assert (rest.amount_fen, rest.balance_fen) == (200, 0)
    with pytest.raises(AlreadyRedeemed):
        await ports.redemptions.redeem(redeem_ask(cid, serial, "r6"))
    assert await ports.redemptions.release_redemption(cid, serial, "r5") == "released"
    state = await ports.redemptions.voucher_state(cid, serial)
    assert state is not None and (state.status, state.balance_fen) == ("issued", 200)
    record = await ports.redemptions.redemption_record(cid, "r1")
    assert (record.state, record.amount_fen, record.merchant_id) == ("pending", 100, "m1")
    counters = await ports.figures.counters(cid)
    assert counters is not None and (counters.redeemed, counters.redeemed_fen) == (0, 100)


async def test_a_reversal_gives_back_within_the_window_and_only_once(ports):
    cid, serial = await issued(ports)
    await ports.redemptions.redeem(redeem_ask(cid, serial, "r1"))

    def back(vid: str, amount: int = 0, **kw: Any) -> ReverseRequest:
        return ReverseRequest(cid, serial, "m1", "r1", vid, amount, now_ms(), 60_000, **kw)

    with pytest.raises(InsufficientBalance):
        await ports.redemptions.reverse(back("v0", 301))
    with pytest.raises(Forbidden):
        await ports.redemptions.reverse(replace(back("v0"), merchant_id="m2"))
    with pytest.raises(NotFound):
        await ports.redemptions.reverse(replace(back("v0"), redemption_id="nope"))
    done = await ports.redemptions.reverse(back("v1", 100))
    assert (done.is_new, done.amount_fen) == (True, 100)
    assert not (await ports.redemptions.reverse(back("v1", 100))).is_new
    state = await ports.redemptions.voucher_state(cid, serial)
    assert state is not None and (state.status, state.balance_fen) == ("issued", 100)
    assert await ports.redemptions.release_reversal(back("v1", 100)) == "released"
    state = await ports.redemptions.voucher_state(cid, serial)
    assert state is not None and (state.status, state.balance_fen) == ("redeemed", 0)
    late = replace(back("v2"), now_ms=now_ms() + 120_000)
    with pytest.raises(ReversalWindowClosed):
        await ports.redemptions.reverse(late)


async def test_a_discount_spends_the_whole_voucher_and_comes_back_only_whole(ports):
    cid, serial = await issued(ports)
    granted = await ports.redemptions.redeem(redeem_ask(cid, serial, "r1", 120, order_fen=240))
    assert (granted.amount_fen, granted.balance_fen, granted.order_fen) == (120, 0, 240)
    again = await ports.redemptions.redeem(redeem_ask(cid, serial, "r1", 120, order_fen=240))
    assert (again.is_new, again.amount_fen, again.order_fen) == (False, 120, 240)
    with pytest.raises(AlreadyRedeemed):
        await ports.redemptions.redeem(redeem_ask(cid, serial, "r2", 10, order_fen=20))
    record = await ports.redemptions.redemption_record(cid, "r1")
    assert (record.amount_fen, record.order_fen, record.used_fen) == (120, 240, 300)
    counters = await ports.figures.counters(cid)
    assert counters is not None and (counters.redeemed, counters.redeemed_fen) == (1, 120)

    def back(vid: str, amount: int = 0) -> ReverseRequest:
        return ReverseRequest(cid, serial, "m1", "r1", vid, amount, now_ms(), 60_000)

    with pytest.raises(InsufficientBalance):
        await ports.redemptions.reverse(back("v0", 100))
    whole = await ports.redemptions.reverse(back("v1"))
    assert (whole.amount_fen, whole.order_fen) == (120, 240)
    state = await ports.redemptions.voucher_state(cid, serial)
    assert state is not None and (state.status, state.balance_fen) == ("issued", 300)
    assert await ports.redemptions.release_reversal(back("v1")) == "released"
    state = await ports.redemptions.voucher_state(cid, serial)
    assert state is not None and (state.status, state.balance_fen) == ("redeemed", 0)
    await ports.redemptions.reverse(back("v2"))
    # Granted again on the whole voucher; a released redemption gives the whole back.
    second = await ports.redemptions.redeem(redeem_ask(cid, serial, "r3", 300, order_fen=900))
    assert (second.amount_fen, second.balance_fen) == (300, 0)
    assert await ports.redemptions.release_redemption(cid, serial, "r3") == "released"
    state = await ports.redemptions.voucher_state(cid, serial)
    assert state is not None and (state.status, state.balance_fen) == ("issued", 300)
    with pytest.raises(InsufficientBalance):
        await ports.redemptions.redeem(redeem_ask(cid, serial, "r4", 301, order_fen=900))


async def test_a_voucher_is_revoked_or_expired_once(ports):
    cid, serial = await issued(ports)
    await ports.definitions.revoke(cid, serial, "fraud")
    await ports.definitions.revoke(cid, serial, "fraud")  # already: nothing more
    with pytest.raises(Revoked):
        await ports.redemptions.redeem(redeem_ask(cid, serial, "r1"))
    assert (await ports.figures.counters(cid)) is not None
    other, other_serial = await issued(ports)
    assert await ports.definitions.expire_many([(other, other_serial)] * 2) == [1, 0]
    with pytest.raises(Conflict):
        await ports.definitions.revoke(other, other_serial, "late")


async def test_an_idempotency_key_binds_one_request_and_failed_codes_lock_it(ports):
    worker = f"w{uuid.uuid4().hex[:8]}"
    b = KeyBinding(WORKER, worker, "claim", "k1", "meaning-1")
    await ports.bindings.bind_worker(b)
    await ports.bindings.bind_worker(b)
    with pytest.raises(IdempotencyKeyReused):
        await ports.bindings.bind_worker(replace(b, digest="meaning-2"))
    await ports.bindings.unbind(replace(b, digest="meaning-2"))  # not its holder: kept
    with pytest.raises(IdempotencyKeyReused):
        await ports.bindings.bind_worker(replace(b, digest="meaning-2"))
    await ports.bindings.unbind(b)
    await ports.bindings.bind_worker(replace(b, digest="meaning-2"))

    merchant = f"m{uuid.uuid4().hex[:8]}"
    limits = [("t1", 2)]
    for _ in range(2):
        await ports.throttles.code_failures(merchant, limits, 60, failed=True)
    with pytest.raises(TooManyAttempts):
        await ports.bindings.bind_merchant(
            KeyBinding(MERCHANT, merchant, "redeem", "k", "x"), limits
        )


async def test_a_callers_rate_waits_once_over_its_allowance(ports):
    caller = f"c{uuid.uuid4().hex[:8]}"
    waits = [await ports.throttles.rate(caller, 60, 2) for _ in range(3)]
    assert waits[:2] == [0, 0] and 0 < waits[2] <= 60
    address = f"a{uuid.uuid4().hex[:8]}"
    waits = [await ports.throttles.credential_failure(address, 60, 2) for _ in range(2)]
    assert waits[0] == 0 and 0 < waits[1] <= 60


async def test_a_rebuilt_state_reads_back_as_written(ports):
    c = domain_campaign(prefix="contract", number=7, merchants=("m1",))
    at = datetime.now(UTC)
    voucher = VoucherFacts("c1", 1, "w1", 300, at, at + timedelta(days=1), None, False, None)
    ledger = [LedgerFacts("r1", "redemption", "m1", 1, 300, 300, None, None, None, at)]
    expected = expected_state(c, [voucher], ledger, {}, {}, None, at)
    assert not await ports.rebuild.has_state(c.id)
    await ports.rebuild.write_state(c, expected)
    assert await ports.rebuild.has_state(c.id)
    actual = await ports.rebuild.read_state(c.id, expected)
    assert differences(c.id, expected, actual) == []
    assert (await ports.admissions.claim_record(c.id, "c1")).state == "issued"
    with pytest.raises(AlreadyRedeemed):
        await ports.redemptions.redeem(redeem_ask(c.id, 1, "r2"))


async def test_a_stations_stock_is_taken_with_the_claim_moved_once_and_given_back(ports):
    cid = await campaign(ports, stations=True, quota=5)
    assert await ports.stations.add_stations(cid, {"a": 1, "b": 2}) == 2
    assert await ports.stations.add_stations(cid, {"a": 9, "c": 0}) == 1  # a keeps its stock
    at = replace(ask(cid, "c1"), station_id="a")
    first = await ports.admissions.admit(at)
    assert (await ports.admissions.claim_record(cid, "c1")).station_id == "a"
    with pytest.raises(StationOutOfStock):
        await ports.admissions.admit(replace(ask(cid, "c2", "w2"), station_id="a"))
    with pytest.raises(ValidationFailed):
        await ports.admissions.admit(replace(ask(cid, "c2", "w2"), station_id="nowhere"))
    assert await ports.stations.move_stock(cid, "m1", "b", "c", 1)
    assert not await ports.stations.move_stock(cid, "m1", "b", "c", 1)  # a retry moves nothing
    with pytest.raises(Conflict):
        await ports.stations.move_stock(cid, "m2", "b", "c", 2)
    await ports.stations.close_station(cid, "c")
    with pytest.raises(StationClosed):
        await ports.admissions.admit(replace(ask(cid, "c3", "w3"), station_id="c"))
    assert await ports.admissions.release_claim(at, first.serial) == "released"
    stock = await ports.stations.station_stock(cid)
    assert {s: (x.left, x.open) for s, x in stock.items()} == {
        "a": (1, True),
        "b": (1, True),
        "c": (1, False),
    }


async def test_a_pack_is_redeemed_only_by_its_stations_key(ports):
    cid = await campaign(ports, merchants=("m1",), stations=True)
    await ports.stations.add_stations(cid, {"s1": 1})
    a = await ports.admissions.admit(replace(ask(cid, "c1"), station_id="s1"))
    await ports.settlement.take_many([(Decision("claim", cid, "c1"), a.serial)])
    expires = int((datetime.now(UTC) + timedelta(days=1)).timestamp())
    activation = Activation(cid, "c1", a.serial, 300, expires, station_id="s1")
    await ports.settlement.activate_many([activation])
    for store in (None, "s2"):
        with pytest.raises(AnotherStation):
            await ports.redemptions.redeem(redeem_ask(cid, a.serial, f"r-{store}", store_id=store))
    done = await ports.redemptions.redeem(redeem_ask(cid, a.serial, "r1", store_id="s1"))
    assert done.is_new


async def test_a_rebuilt_stations_stock_reads_back_as_written(ports):
    c = domain_campaign(prefix="contract", number=7, stations=True)
    at = datetime.now(UTC)
    voucher = VoucherFacts("c1", 1, "w1", 300, at, at + timedelta(days=1), None, False, None, "a")
    stations = [Station("a", "A", "d", "", stock=3), Station("b", "B", "d", "", False, 2)]
    expected = expected_state(c, [voucher], [], {}, {}, None, at, stations=stations)
    assert {s: x.left for s, x in expected.stations.items()} == {"a": 2, "b": 2}
    await ports.rebuild.write_state(c, expected)
    actual = await ports.rebuild.read_state(c.id, expected)
    assert differences(c.id, expected, actual) == []
    assert (await ports.stations.station_stock(c.id))["b"].open is False


async def test_a_slot_is_booked_before_it_starts_checked_in_in_its_window_cancelled_once(ports):
    cid = await campaign(ports, merchants=("m1",), slots=True, quota=3)
    now = datetime.now(UTC)
    later = Slot("later", "clinic-a", now + timedelta(hours=3), now + timedelta(hours=4), 1)
    begun = Slot("begun", "clinic-a", now - timedelta(minutes=1), now + timedelta(hours=1), 1)
    places = {s.slot_id: (s.capacity, terms(s)) for s in (later, begun)}
    assert await ports.stations.add_slots(cid, places) == 2
    with pytest.raises(SlotStarted):
        await ports.admissions.admit(replace(ask(cid, "c0"), station_id="begun"))
    a = await ports.admissions.admit(replace(ask(cid, "c1"), station_id="later"))
    assert a.valid_until == int(later.ends_at.timestamp())  # the booking lapses with its slot
    with pytest.raises(StationOutOfStock):
        await ports.admissions.admit(replace(ask(cid, "c2", "w2"), station_id="later"))
    await ports.settlement.take_many([(Decision("claim", cid, "c1"), a.serial)])
    activation = Activation(cid, "c1", a.serial, 300, a.valid_until, station_id="later")
    await ports.settlement.activate_many([activation])
    with pytest.raises(AnotherStation):
        await ports.redemptions.redeem(redeem_ask(cid, a.serial, "r0", store_id="clinic-b"))
    with pytest.raises(TooEarly):
        await ports.redemptions.redeem(redeem_ask(cid, a.serial, "r1", store_id="clinic-a"))

    cancel = ClaimCancel(cid, "c1", a.serial, "w1", "none", "cancelled")
    with pytest.raises(NotFound):
        await ports.stations.cancel_claim(replace(cancel, worker_id="w2"))
    assert await ports.stations.cancel_claim(cancel) is True
    assert await ports.stations.cancel_claim(cancel) is False  # a retry gives nothing more
    stock = (await ports.stations.station_stock(cid))["later"]
    assert (stock.left, stock.slot) == (1, terms(later))
    assert (await ports.admissions.claim_record(cid, "c1")).state == "cancelled"
    with pytest.raises(Revoked):
        await ports.redemptions.redeem(redeem_ask(cid, a.serial, "r2", store_id="clinic-a"))
    repeat = await ports.admissions.admit(replace(ask(cid, "c1"), station_id="later"))
    assert (repeat.is_new, repeat.state) == (False, "cancelled")  # its key books nothing new
    # The place, the quota and the worker's limit came back: w1 may book it again.
    assert (await ports.admissions.admit(replace(ask(cid, "c3"), station_id="later"))).is_new
    assert (await ports.stations.station_stock(cid))["later"].left == 0


async def test_a_rebuilt_slots_places_and_terms_read_back_as_written(ports):
    c = domain_campaign(prefix="contract", number=7, slots=True, merchants=("m1",))
    at = datetime.now(UTC)
    slot = Slot("s1", "clinic-a", at + timedelta(hours=3), at + timedelta(hours=4), 3)
    ends = slot.ends_at
    booked = VoucherFacts("c1", 1, "w1", 300, at, ends, None, False, None, "s1")
    cancelled = VoucherFacts("c2", 2, "w2", 300, at, ends, None, False, "cancelled", "s1", True)
    expected = expected_state(c, [booked, cancelled], [], {}, {}, None, at, slots=[slot])
    await ports.rebuild.write_state(c, expected)
    actual = await ports.rebuild.read_state(c.id, expected)
    assert differences(c.id, expected, actual) == []
    assert (await ports.stations.station_stock(c.id))["s1"] == StationStock(2, slot=terms(slot))
    with pytest.raises(TooEarly):  # the rebuilt voucher keeps its provider and window
        await ports.redemptions.redeem(redeem_ask(c.id, 1, "r1", store_id="clinic-a"))


async def test_a_pack_without_a_station_gets_one_once_and_is_handed_out_only_there(ports):
    cid = await campaign(ports, merchants=("m1",), stations=True, quota=3)
    await ports.stations.add_stations(cid, {"s1": 1, "s2": 0})
    a = await ports.admissions.admit(replace(ask(cid, "c1"), station_id=TO_CHOOSE))
    assert (await ports.stations.station_stock(cid))["s1"].left == 1  # nothing taken yet
    with pytest.raises(NotYetIssued):
        await ports.stations.choose_station(cid, "c1", a.serial, "s1")
    await ports.settlement.take_many([(Decision("claim", cid, "c1"), a.serial)])
    expires = int((datetime.now(UTC) + timedelta(days=1)).timestamp())
    activation = Activation(cid, "c1", a.serial, 300, expires, station_id=TO_CHOOSE)
    await ports.settlement.activate_many([activation])
    with pytest.raises(StationNotChosen):
        await ports.redemptions.redeem(redeem_ask(cid, a.serial, "r0", store_id="s1"))
    with pytest.raises(StationOutOfStock):
        await ports.stations.choose_station(cid, "c1", a.serial, "s2")
    assert await ports.stations.choose_station(cid, "c1", a.serial, "s1") is True
    assert await ports.stations.choose_station(cid, "c1", a.serial, "s1") is False
    with pytest.raises(Conflict):
        await ports.stations.choose_station(cid, "c1", a.serial, "s2")
    assert (await ports.stations.station_stock(cid))["s1"].left == 0
    assert (await ports.admissions.claim_record(cid, "c1")).station_id == "s1"
    assert await ports.admissions.release_claim(ask(cid, "c1"), a.serial) == "issued"
    assert (await ports.redemptions.redeem(redeem_ask(cid, a.serial, "r1", store_id="s1"))).is_new
