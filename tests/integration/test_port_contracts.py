"""One suite of cases for each decision port, run against the Redis adapter and against
the in-memory implementations the use-case tests use (tests/memory): the fakes cannot
drift from the scripts without a case here failing for one of them."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from engine.adapters.redis import Redis
from engine.domain.admission import REPEAT, AdmitRequest, CapReservation
from engine.domain.api_keys import REVOKED, key_digest
from engine.domain.campaigns import Status, Wave
from engine.domain.settlement import Activation, Decision
from engine.errors import ClaimWindowClosed, LimitReached, NotEligible, SoldOut, Unavailable
from tests.factories import domain_campaign
from tests.memory import MemoryKeyCache, MemoryLive


@dataclass
class Ports:
    admissions: Any
    settlement: Any
    definitions: Any
    figures: Any
    key_cache: Any


@pytest.fixture(params=["memory", "redis"])
async def ports(request, settings) -> AsyncIterator[Ports]:
    if request.param == "memory":
        live = MemoryLive()
        yield Ports(live, live, live, live, MemoryKeyCache())
        return
    redis = Redis.from_settings(settings, 4)
    yield Ports(
        redis.admissions, redis.settlement, redis.definitions, redis.figures, redis.key_cache
    )
    await redis.close()


def now_ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


async def campaign(ports: Ports, **overrides: Any) -> str:
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
