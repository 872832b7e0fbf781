"""Claims and issuance over the in-memory engine (tests/helpers/memory.py): the rules of
deciding, making durable and issuing, without Redis, PostgreSQL or a broker. The same
promises are tested on the real stack in tests/integration."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.domain.admission import AdmitRequest
from engine.domain.campaigns import PeriodLimit, Status
from engine.domain.codes import verify_code
from engine.domain.periods import Period
from engine.domain.tokens import WorkerIdentity
from engine.errors import (
    ClaimWindowClosed,
    IdempotencyKeyReused,
    LimitReached,
    NotEligible,
    NotFound,
    RateLimited,
    SoldOut,
    Unavailable,
)
from engine.events import ClaimAdmitted
from tests.helpers.memory import OPS, World


async def test_an_admitted_claim_is_published_once_and_confirmed():
    w = World()
    c = await w.campaign(quota=2)
    who = await w.worker("w1")
    first = await w.engine.claims.claim(c.id, who, "k")
    again = await w.engine.claims.claim(c.id, who, "k")  # the same key: the first answer
    assert first.claim_id == again.claim_id
    (event,) = w.published(ClaimAdmitted)
    assert (event.claim_id, event.worker_id, event.serial) == (first.claim_id, "w1", 1)
    assert (await w.store.admissions.claim_record(c.id, first.claim_id)).state == "acked"
    assert (await w.engine.claims.get(first.claim_id, who))["status"] == "admitted"


async def test_a_claim_the_log_did_not_take_is_released_and_answered_unavailable():
    w = World()
    c = await w.campaign(quota=1, per_worker_limit=1)
    w.log.down = True
    with pytest.raises(Unavailable):
        await w.engine.claims.claim(c.id, await w.worker("w1"), "k")
    counters = await w.store.figures.counters(c.id)
    assert counters is not None and counters.admitted == 0  # the unit went back
    w.log.down = False
    await w.engine.claims.claim(c.id, await w.worker("w2"), "k")  # another worker gets it
    with pytest.raises(SoldOut):
        await w.engine.claims.claim(c.id, await w.worker("w3"), "k")


async def test_limits_and_eligibility_hold_across_keys():
    w = World()
    c = await w.campaign(quota=5, per_worker_limit=1)
    who = await w.worker("w1")
    await w.engine.claims.claim(c.id, who, "a")
    with pytest.raises(LimitReached):
        await w.engine.claims.claim(c.id, who, "b")
    await w.engine.workers.register("w1", {"category": "truck_driver"})
    with pytest.raises(NotEligible):  # the token is the same; the register changed
        await w.engine.claims.claim(c.id, await w.worker("w1", "truck_driver"), "c")
    assert len(w.published(ClaimAdmitted)) == 1


async def test_an_idempotency_key_answers_only_its_own_request():
    w = World()
    c = await w.campaign(quota=5, per_worker_limit=2, face_value_min_fen=100)
    other = await w.campaign(quota=5)
    who = await w.worker("w1")
    first = await w.engine.claims.claim(c.id, who, "a")
    with pytest.raises(IdempotencyKeyReused):  # the same key for another campaign
        await w.engine.claims.claim(other.id, who, "a")
    with pytest.raises(IdempotencyKeyReused):  # or another face value of the same one
        await w.engine.claims.claim(c.id, who, "a", face_value_fen=200)
    assert (await w.engine.claims.claim(c.id, who, "a")).claim_id == first.claim_id
    await w.engine.claims.claim(other.id, await w.worker("w2"), "a")  # keys are their worker's
    assert [e.worker_id for e in w.published(ClaimAdmitted)] == ["w1", "w2"]


async def test_a_closed_window_and_a_workers_request_rate_refuse():
    w = World(worker_requests_per_min=2)
    c = await w.campaign(quota=5)
    who = await w.worker("w1")
    await w.engine.admin.set_status(c.id, Status.PAUSED, OPS)
    with pytest.raises(ClaimWindowClosed):
        await w.engine.claims.claim(c.id, who, "a")
    with pytest.raises(NotFound):
        await w.engine.claims.claim("uc-none", who, "b")
    with pytest.raises(RateLimited):
        for key in "cdef":
            await w.engine.claims.claim(f"uc-none-{key}", who, key)


async def test_issuance_signs_each_admitted_claim_once_and_skips_void_ones():
    w = World()
    c = await w.campaign(quota=3)
    kept = await w.engine.claims.claim(c.id, await w.worker("w1"), "k")
    (event,) = w.published(ClaimAdmitted)
    # An API process admitted a second claim, its event reached the log, and the process
    # died before it heard back: the repair job released the claim, so the event is void.
    now_ms = int(w.clock.now().timestamp() * 1000)
    request = AdmitRequest(c.id, f"{c.id}.lost", "w2", "courier", now_ms, 300)
    lost = await w.store.admissions.admit(request)
    assert await w.store.admissions.release_claim(request, lost.serial) == "released"
    voided = ClaimAdmitted(**(event.fields() | {"claim_id": request.claim_id, "serial": 2}))

    issued = await w.engine.issuance.issue([event, voided, event])  # with a redelivered copy
    assert [e.claim_id for e in issued] == [kept.claim_id]
    voucher = await w.engine.claims.voucher(kept.claim_id, WorkerIdentity("w1"))
    payload = verify_code(voucher.code, w.engine.keyring.public_keys)
    assert (payload.campaign_number, payload.serial) == (c.number, 1)
    assert request.claim_id not in w.records.t.vouchers

    await w.engine.issuance.issue([event])  # a replay after a crash writes nothing new
    assert len(w.records.t.vouchers) == 1
    counters = await w.store.figures.counters(c.id)
    assert counters is not None and (counters.admitted, counters.issued) == (1, 1)
    [listed] = await w.engine.claims.vouchers_of(WorkerIdentity("w1"))
    assert listed["claim_id"] == kept.claim_id


async def test_the_worker_page_shows_what_is_left_of_the_period_limit_and_the_cap():
    w = World()
    w.clock.moment = datetime(2027, 1, 12, 2, tzinfo=UTC)  # mid-month, whatever today is
    await w.engine.admin.create_cap_group("leisure", "month", 500, OPS)
    daily = PeriodLimit(Period.DAY, 2)
    books = await w.campaign(per_worker_limit=3, period_limit=daily, cap_group="leisure")
    films = await w.campaign(face_value_fen=100, cap_group="leisure")
    who = await w.worker("w1")
    await w.engine.claims.claim(books.id, who, "k1")
    await w.engine.claims.claim(films.id, who, "k2")
    await w.stream()
    w.engine.offers.ttl_s = 0
    shown = {p["campaign_id"]: p["limits"] for p in await w.engine.offers.for_worker(who)}
    assert shown[books.id]["per_period"] == {"period": "day", "limit": 2, "used": 1, "left": 1}
    assert shown[books.id]["cap"] == {
        "group": "leisure",
        "period": "month",
        "max_fen": 500,
        "used_fen": 400,
        "left_fen": 100,
    }
    assert shown[films.id]["per_period"] is None
    w.clock.advance(86_400)  # a new day: the period's count starts again, the month's does not
    later = {p["campaign_id"]: p["limits"] for p in await w.engine.offers.for_worker(who)}
    assert later[books.id]["per_period"]["left"] == 2
    assert later[books.id]["cap"]["left_fen"] == 100
