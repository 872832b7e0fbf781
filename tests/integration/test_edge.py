"""What an API process answers on its own under a burst: sold out from memory once the
stock is gone, and 503 with Retry-After past what it serves quickly. Both are exact:
nobody is refused for long while a unit is free, and nothing acknowledged is lost."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest

from engine.adapters.redis import Redis
from engine.api.services import Services
from engine.domain.campaigns import Wave
from engine.domain.codes import (
    b32decode,
    b32encode,
    code_digest,
    group_for_typing,
    normalise,
    verify_code,
)
from engine.domain.tokens import WorkerIdentity
from engine.errors import SoldOut
from tests.factories import domain_campaign
from tests.helpers.api import redeemable_code
from tests.helpers.inprocess import TEST_ACTOR, registered
from tests.helpers.waiting import wait_for
from tests.integration.engine_procs import EngineUnderTest


async def worker(services: Services) -> WorkerIdentity:
    return (await registered(services))[0]


class CountedAdmissions:
    """The admission store, counting the claims that reach the script (a Redis trip)."""

    def __init__(self, store: object) -> None:
        self.store, self.count = store, 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.store, name)

    async def admit(self, request: object) -> object:
        self.count += 1
        return await self.store.admit(request)  # type: ignore[attr-defined]


async def sold_out_now(services: Services, campaign_id: str) -> None:
    with pytest.raises(SoldOut):
        await services.claims.claim(campaign_id, await worker(services), "k")


async def test_sold_out_is_answered_from_memory_and_a_holder_keeps_its_answer(clocked):
    services, clock = clocked
    campaign, _ = await services.admin.create_campaign(
        domain_campaign("edge", clock.start, quota=2), TEST_ACTOR
    )
    holder = await worker(services)
    first = await services.claims.claim(campaign.id, holder, "tap")
    await services.claims.claim(campaign.id, await worker(services), "k")
    services.claims.admissions = calls = CountedAdmissions(services.claims.admissions)
    await sold_out_now(services, campaign.id)  # the script says so; the process remembers
    assert calls.count == 1
    for _ in range(20):
        await sold_out_now(services, campaign.id)
    assert calls.count == 1, "a sold-out campaign's tail must not reach Redis"
    # The holder's retried tap is owed its first answer, not a sold-out.
    again = await services.claims.claim(campaign.id, holder, "tap")
    assert again.claim_id == first.claim_id and calls.count == 2


async def test_stock_returned_elsewhere_is_offered_within_the_marks_life(clocked, settings):
    services, clock = clocked
    campaign, _ = await services.admin.create_campaign(
        domain_campaign("edge", clock.start, quota=1), TEST_ACTOR
    )
    await services.claims.claim(campaign.id, await worker(services), "k")
    await sold_out_now(services, campaign.id)
    # Another API process raises the quota (ops): this one has not heard of it.
    other = await Services.start(settings, clock=clock)
    try:
        await other.admin.update_campaign(
            campaign.id, replace(campaign, quota=3), campaign.version, TEST_ACTOR
        )
    finally:
        await other.stop()
    life = timedelta(seconds=settings.sold_out_memory_s)
    clock.moment = clock.start + life - timedelta(milliseconds=1)
    await sold_out_now(services, campaign.id)  # still within the mark's life
    clock.moment = clock.start + life
    await services.claims.claim(campaign.id, await worker(services), "k")
    await services.claims.claim(campaign.id, await worker(services), "k")
    await sold_out_now(services, campaign.id)


async def test_a_mark_ends_at_the_next_wave(clocked):
    services, clock = clocked
    t0 = clock.start
    waves = (Wave(t0 + timedelta(minutes=10), 1), Wave(t0 + timedelta(minutes=20), 1))
    campaign, _ = await services.admin.create_campaign(
        domain_campaign("edge", t0, quota=2, waves=waves), TEST_ACTOR
    )
    clock.moment = t0 + timedelta(minutes=10)
    await services.claims.claim(campaign.id, await worker(services), "k")
    clock.moment = t0 + timedelta(minutes=20) - timedelta(milliseconds=500)
    await sold_out_now(services, campaign.id)
    clock.moment = t0 + timedelta(minutes=20)  # less than the mark's life later
    await services.claims.claim(campaign.id, await worker(services), "k")


@pytest.fixture
def second_api(
    stack_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory, engine, issuing
) -> Iterator[EngineUnderTest]:
    """Two API processes sharing one port, shedding past 2 hot requests each; the
    session's stream worker issues what they admit."""
    procs = EngineUnderTest(
        {**stack_env, "NUANXIN_MAX_HOT_IN_FLIGHT": "2"}, tmp_path_factory.mktemp("edge")
    )
    try:
        procs.start_api(processes=2, timeout_s=60)
        yield procs
    finally:
        procs.stop()


@pytest.fixture
async def edge_http(second_api: EngineUnderTest) -> AsyncIterator[httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=400, max_keepalive_connections=400, keepalive_expiry=2)
    async with httpx.AsyncClient(base_url=second_api.base_url, limits=limits, timeout=30) as c:
        yield c


async def test_overload_is_shed_with_retry_after_and_the_books_stay_exact(edge_http, factory, db):
    campaign = await factory.campaign(quota=150)
    cid = campaign["id"]
    workers = await factory.workers(200)
    answers: dict[str, int] = {}
    shed = 0
    pending = list(workers)
    for _ in range(50):  # each round offers every waiting worker at once
        rs = await asyncio.gather(*(_claim(edge_http, factory, cid, w) for w in pending))
        for w, r in zip(pending, rs, strict=True):
            if r.status_code == 503:
                assert r.headers["content-type"] == "application/problem+json"
                assert r.headers["retry-after"] == "1"
                assert r.json()["type"].endswith("/overloaded")
                shed += 1
            else:
                answers[w] = r.status_code
        pending = [w for w in pending if w not in answers]
        if not pending:
            break
    assert not pending, f"{len(pending)} workers were shed 50 times in a row"
    assert shed > 0, "several times the capacity in flight must shed"
    statuses = sorted(set(answers.values()))
    assert statuses == [201, 410], statuses
    admitted = [w for w, s in answers.items() if s == 201]
    assert len(admitted) == 150
    rows = await wait_for(lambda: _vouchers_of(db, cid, 150), timeout_s=120)
    assert sorted(r["worker_id"] for r in rows) == sorted(admitted)


async def test_every_api_process_offers_returned_stock_within_the_marks_life(
    edge_http, factory, settings
):
    campaign = await factory.campaign(quota=1)
    cid = campaign["id"]
    holder, *tail = await factory.workers(41)
    assert (await _claim(edge_http, factory, cid, holder, "tap")).status_code == 201
    # Sequential, so each process (the kernel spreads connections) marks the sell-out.
    for w in tail[:20]:
        assert (await _claim(edge_http, factory, cid, w)).status_code == 410
    assert (await _claim(edge_http, factory, cid, holder, "tap")).status_code == 201
    r = await edge_http.patch(
        f"/v1/campaigns/{cid}", json={"version": 1, "quota": 21}, headers=factory.ops
    )
    assert r.status_code == 200, r.text
    # Definitions are cached for a second, and a mark lives this long at most.
    await asyncio.sleep(1.0 + settings.sold_out_memory_s + 0.1)
    for w in tail[20:]:
        assert (await _claim(edge_http, factory, cid, w)).status_code == 201


async def _claim(http, factory, cid: str, worker_id: str, key: str = "k") -> httpx.Response:
    return await http.post(
        f"/v1/campaigns/{cid}/claims", headers=factory.worker_headers(worker_id, key)
    )


async def _vouchers_of(db, cid: str, n: int):
    rows = await db.fetch("SELECT worker_id FROM vouchers WHERE campaign_id = $1", cid)
    return rows if len(rows) >= n else None


async def test_an_online_redemption_is_checked_against_the_issued_code(
    http, factory, settings, issuing
):
    merchant_id, api_key = await factory.merchant()
    campaign = await factory.campaign(quota=1, merchants=[merchant_id])
    (holder,) = await factory.workers(1)
    r = await _claim(http, factory, campaign["id"], holder)
    code = await redeemable_code(http, factory, holder, r.json()["claim_id"])
    payload = verify_code(code, factory.keyring.public_keys)
    live = Redis.from_settings(settings, 2)
    try:
        state = await live.redemptions.voucher_state(campaign["id"], payload.serial)
    finally:
        await live.close()
    assert state is not None and state.code_digest == code_digest(code)
    raw = b32decode(normalise(code))
    forged = b32encode(raw[:-1] + bytes([raw[-1] ^ 1]))  # same serial, another signature
    merchant = {"Authorization": f"Bearer {api_key}"}
    r = await http.post(
        "/v1/redemptions", json={"code": forged}, headers=merchant | {"Idempotency-Key": "f"}
    )
    assert r.status_code == 422 and r.json()["type"].endswith("/invalid-code"), r.text
    typed = group_for_typing(code).lower()  # the same code as a person types it
    r = await http.post(
        "/v1/redemptions", json={"code": typed}, headers=merchant | {"Idempotency-Key": "ok"}
    )
    assert r.status_code == 201, r.text
