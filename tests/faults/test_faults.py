"""Promises 3-6 under faults: kill or cut a process, then check the books and reconcile."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from engine.adapters.kafka import ensure_topics
from engine.adapters.redis import Redis, keys
from engine.adapters.redis.connection import Scripts
from engine.domain.admission import claim_id_for, redemption_id_for, reversal_id_for
from engine.domain.settlement import Decision
from tests.helpers.api import claims_url, redeem, redeemable_code
from tests.helpers.books import issued
from tests.helpers.faults import client, pause, resume, server_pid
from tests.helpers.waiting import wait_for
from tests.integration.engine_procs import assert_reconciled, reconcile

EVERYTHING = 2**62  # a score past every unsettled record


async def test_api_killed_between_admission_and_ack_is_released_by_the_repair_job(
    fault_stack, fault_env, fault_engine, fhttp, ffactory, fredis, fdb
):
    cid = (await ffactory.campaign(quota=1))["id"]
    worker, other = await ffactory.workers(2)
    claim_id = claim_id_for(cid, worker, "k1")
    broker = server_pid(fault_stack, "broker")
    pause(broker)  # the produce waits: the admission is made, the acknowledgement is not
    try:
        answer = asyncio.create_task(
            fhttp.post(claims_url(cid), headers=ffactory.worker_headers(worker, "k1"))
        )
        await wait_for(lambda: fredis.settlement.unsettled_before(cid, EVERYTHING), interval_s=0.02)
        fault_engine.kill_api()
    finally:
        resume(broker)
    with pytest.raises(httpx.TransportError):
        await answer  # the worker never got an answer, let alone a 2xx
    fault_engine.start_api()

    # Bounded: unsettled after 4 s (15 s on a cluster), the repair runs every second.
    async def settled():
        state = (await fredis.admissions.claim_record(cid, claim_id)).state
        pending = await fredis.settlement.unsettled_before(cid, EVERYTHING)
        return state if state in ("released", "issued") and not pending else None

    state = await wait_for(settled, timeout_s=30)
    async with client(fault_engine) as http:
        again = await http.post(claims_url(cid), headers=ffactory.worker_headers(other, "k1"))
        view = (await http.get(f"/v1/campaigns/{cid}", headers=ffactory.ops)).json()
    if state == "released":  # the event never reached the log: the unit went back to stock
        assert again.status_code == 201, again.text
    else:  # the broker had appended it before the kill: the issuer completed the claim
        assert again.status_code == 410, again.text
    rows = await issued(fdb, cid, 1)
    assert view["admitted"] == 1 and view["remaining"] == 0
    assert len(rows) == 1
    assert_reconciled(fault_env)


async def test_broker_down_answers_503_promptly_undoes_and_resumes_without_api_restart(
    fault_stack, fault_env, fault_settings, fault_engine, fhttp, ffactory, fredis, fdb
):
    merchant, api_key = await ffactory.merchant()
    cid = (await ffactory.campaign(quota=5, merchants=[merchant]))["id"]
    first, second = await ffactory.workers(2)
    r = await fhttp.post(claims_url(cid), headers=ffactory.worker_headers(first, "k"))
    assert r.status_code == 201, r.text
    (voucher,) = await issued(fdb, cid, 1)

    fault_stack.stop_server("broker")
    try:
        async with client(fault_engine) as http:
            started = time.monotonic()
            refused = await http.post(claims_url(cid), headers=ffactory.worker_headers(second, "k"))
            claim_s = time.monotonic() - started
            started = time.monotonic()
            not_redeemed = await redeem(http, api_key, voucher["code"], "pos-1")
            redeem_s = time.monotonic() - started
        assert refused.status_code == 503, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert not_redeemed.status_code == 503, not_redeemed.text
        # Bounded by the produce timeout (2 s here), not by the client's patience.
        assert claim_s < 6 and redeem_s < 6, (claim_s, redeem_s)
        counters = await fredis.figures.counters(cid)
        assert counters.admitted == 1 and counters.redeemed == 0
        record = await fredis.admissions.claim_record(cid, claim_id_for(cid, second, "k"))
        assert record.state == "released"
        voucher_state = await fredis.redemptions.voucher_state(cid, voucher["serial"])
        assert voucher_state is not None and voucher_state.status == "issued"
    finally:
        # The local broker keeps topics in memory: it comes back empty on the same port.
        fault_stack.start_server("broker")
        await ensure_topics(fault_settings)
    # Their consumer groups and offsets went with the broker.
    for _ in range(fault_engine.kill_streams()):
        fault_engine.start_stream()

    async with client(fault_engine) as http:  # the same API process, never restarted

        async def claimed():
            r = await http.post(claims_url(cid), headers=ffactory.worker_headers(second, "k"))
            return r if r.status_code == 201 else None

        await wait_for(claimed, timeout_s=60, interval_s=1)
        await issued(fdb, cid, 2)

        async def redeemed():
            r = await redeem(http, api_key, voucher["code"], "pos-1")
            return r if r.status_code == 201 else None

        await wait_for(redeemed, timeout_s=30, interval_s=1)
    await wait_for(
        lambda: fdb.fetchval("SELECT count(*) FROM redemptions WHERE campaign_id = $1", cid)
    )
    assert_reconciled(fault_env)


async def test_postgres_down_admission_goes_on_and_issuance_catches_up(
    fault_stack, fault_env, fault_engine, fhttp, ffactory, fredis, fdb
):
    cid = (await ffactory.campaign(quota=20))["id"]
    workers = await ffactory.workers(8)
    r = await fhttp.post(claims_url(cid), headers=ffactory.worker_headers(workers[0], "k"))
    assert r.status_code == 201, r.text
    await issued(fdb, cid, 1)
    # Each API process serves the definition it last read: with several, repeat the claim
    # (same key, same answer) on new connections until every process has read it.
    for _ in range(16):
        async with client(fault_engine) as http:
            again = await http.post(
                claims_url(cid), headers=ffactory.worker_headers(workers[0], "k")
            )
        assert again.status_code == 201, again.text

    fault_stack.stop_server("postgres")
    try:
        async with client(fault_engine) as http:
            answers = [
                await http.post(claims_url(cid), headers=ffactory.worker_headers(w, "k"))
                for w in workers[1:]
            ]
        assert [a.status_code for a in answers] == [201] * 7, [a.text for a in answers]

        async def blocked() -> list[str] | None:
            """The issuer took a claim and waits on the database to write it (a fetch in
            hand holds its partitions' later claims back, so not every one is taken)."""
            states = [
                (await fredis.admissions.claim_record(cid, a.json()["claim_id"])).state
                for a in answers
            ]
            return states if "taken" in states else None

        states = await wait_for(blocked, timeout_s=60)
        assert set(states) <= {"pending", "acked", "taken"}, states  # none released
        counters = await fredis.figures.counters(cid)
        assert (counters.admitted, counters.issued) == (8, 1)
    finally:
        fault_stack.start_server("postgres")
    rows = await issued(fdb, cid, 8)
    assert sorted(r["worker_id"] for r in rows) == sorted(workers)
    assert len({r["serial"] for r in rows}) == len({r["code"] for r in rows}) == 8
    assert_reconciled(fault_env)


class PooledRuns:
    """Many script runs at once leave many idle connections per node; a restart breaks
    them all. Each run is resent a few times only, so the pool must be cleared, not
    drained one dead connection per resend (5 of 300 runs failed so before)."""

    def __init__(self, live: Redis) -> None:
        self.live, self.scripts = live, Scripts(live.client)

    async def rate(self, caller: int) -> object:
        try:
            key = keys.rate(f"w-{caller}")
            return await self.scripts.run("throttle", [key], [60, "1", 10**6])
        except Exception as exc:  # noqa: BLE001 - counted by the caller
            return exc

    async def warm(self) -> None:
        warm = await asyncio.gather(*(self.rate(i) for i in range(150)))
        assert not [a for a in warm if isinstance(a, Exception)]

    async def all_succeed_after_the_restart(self) -> None:
        after = [await self.rate(i) for i in range(150)]
        failed = [a for a in after if isinstance(a, Exception)]
        assert not failed, f"{len(failed)} of 150 runs failed after the restart: {failed[0]!r}"


@asynccontextmanager
async def pooled_runs(settings) -> AsyncIterator[PooledRuns]:
    live = Redis.from_settings(settings, 64)
    try:
        yield PooledRuns(live)
    finally:
        await live.close()


async def test_redis_lost_stops_answers_until_reconcile_repair_rebuilds_it(
    fault_stack, fault_env, fault_settings, fault_engine, fhttp, ffactory, fredis, fdb
):
    merchant, api_key = await ffactory.merchant()
    quota = 10
    cid = (await ffactory.campaign(quota=quota, merchants=[merchant]))["id"]
    workers = await ffactory.workers(14)
    first = {}
    for w in workers[:4]:
        r = await fhttp.post(claims_url(cid), headers=ffactory.worker_headers(w, "k"))
        assert r.status_code == 201, r.text
        first[w] = r.json()["claim_id"]
    codes = {w: await redeemable_code(fhttp, ffactory, w, first[w]) for w in workers[:4]}
    used = codes[workers[0]]
    assert (await redeem(fhttp, api_key, used, "pos-1")).status_code == 201
    await wait_for(
        lambda: fdb.fetchval("SELECT count(*) FROM redemptions WHERE campaign_id = $1", cid)
    )

    async with pooled_runs(fault_settings) as runs:
        await runs.warm()
        fault_stack.lose_redis()
        await runs.all_succeed_after_the_restart()
    async with client(fault_engine) as http:
        # No answers from an empty Redis: not a new claim, not a repeat, not a redemption.
        new = await http.post(claims_url(cid), headers=ffactory.worker_headers(workers[4], "k"))
        repeat = await http.post(claims_url(cid), headers=ffactory.worker_headers(workers[1], "k"))
        again = await redeem(http, api_key, used, "pos-2")
    assert [new.status_code, repeat.status_code, again.status_code] == [503, 503, 503]

    check = reconcile(fault_env)
    assert check.returncode == 1 and f"{cid}: counter admitted is 0 in Redis" in check.stdout
    repaired = reconcile(fault_env, "--repair")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert cid in repaired.stderr
    assert_reconciled(fault_env)

    # The first answers of a re-formed Redis may still be 503 (Retry-After: 1): a client
    # retries the same request, as the app does, a few times at most.
    async with client(fault_engine, retry_unavailable=True) as http:
        repeat = await http.post(claims_url(cid), headers=ffactory.worker_headers(workers[1], "k"))
        assert repeat.status_code == 201, repeat.text
        # The repeat found its rebuilt claim: nothing new was admitted for it.
        view = (await http.get(f"/v1/campaigns/{cid}", headers=ffactory.ops)).json()
        assert (view["admitted"], view["remaining"]) == (4, quota - 4), view
        twice = await redeem(http, api_key, used, "pos-3")
        assert twice.status_code == 409, twice.text
        code = codes[workers[1]]
        assert (await redeem(http, api_key, code, "pos-4")).status_code == 201
        assert (await redeem(http, api_key, code, "pos-5")).status_code == 409
        replies = [
            await http.post(claims_url(cid), headers=ffactory.worker_headers(w, "k"))
            for w in workers[4:]
        ]
    answers = [r.status_code for r in replies]
    assert answers.count(201) == quota - 4 and answers.count(410) == 4, [r.text for r in replies]
    rows = await issued(fdb, cid, quota)
    assert len({r["serial"] for r in rows}) == quota
    await wait_for(
        lambda: fdb.fetchval("SELECT count(*) = 2 FROM redemptions WHERE campaign_id = $1", cid)
    )
    assert_reconciled(fault_env)


@pytest.mark.parametrize("kind", ["redemption", "reversal"])
async def test_api_killed_mid_redemption_or_reversal_is_settled_by_the_repair_job(
    kind, fault_stack, fault_env, fault_engine, fhttp, ffactory, fredis, fdb
):
    merchant, api_key = await ffactory.merchant()
    cid = (
        await ffactory.campaign(
            quota=1, face_value_fen=1_000, stored_value=True, merchants=[merchant]
        )
    )["id"]
    (worker,) = await ffactory.workers(1)
    r = await fhttp.post(claims_url(cid), headers=ffactory.worker_headers(worker, "k"))
    code = await redeemable_code(fhttp, ffactory, worker, r.json()["claim_id"])
    pos = {"Authorization": f"Bearer {api_key}"}
    if kind == "reversal":
        first = await fhttp.post(
            "/v1/redemptions", json={"code": code}, headers=pos | {"Idempotency-Key": "r"}
        )
        assert first.status_code == 201, first.text
        url, body = "/v1/reversals", {"redemption_id": first.json()["redemption_id"]}
        await wait_for(lambda: _unsettled_is_empty(fredis, cid))
    else:
        url, body = "/v1/redemptions", {"code": code}
    broker = server_pid(fault_stack, "broker")
    pause(broker)  # the decision is made in Redis; the broker's answer never comes
    try:
        answer = asyncio.create_task(
            fhttp.post(url, json=body, headers=pos | {"Idempotency-Key": "killed"})
        )
        await wait_for(lambda: fredis.settlement.unsettled_before(cid, EVERYTHING), interval_s=0.02)
        fault_engine.kill_api()
    finally:
        resume(broker)
    with pytest.raises(httpx.TransportError):
        await answer  # the terminal never got an answer
    fault_engine.start_api()

    # Bounded: unsettled after 4 s (15 s on a cluster), the repair runs every second.
    await wait_for(lambda: _unsettled_is_empty(fredis, cid), timeout_s=30)
    if kind == "reversal":
        killed = Decision("reversal", cid, reversal_id_for(cid, merchant, "killed"))
    else:
        killed = Decision("redemption", cid, redemption_id_for(cid, merchant, "killed"))
    state = (await fredis.settlement.record(killed)).state
    assert state in ("released", "acked", "taken"), state
    async with client(fault_engine) as http:
        check = (await http.post("/v1/codes/verify", json={"code": code}, headers=pos)).json()
    # Released: as if the request never came. Otherwise its event is in the log and the
    # ledger (the redemption spent the voucher; the reversal gave the 1,000 fen back).
    spent = (state == "released") == (kind == "reversal")
    assert check["balance_fen"] == (0 if spent else 1_000), (kind, state, check)
    entries = {
        ("redemption", True): 0,
        ("redemption", False): 1,
        ("reversal", True): 1,
        ("reversal", False): 2,
    }[(kind, state == "released")]
    await wait_for(
        lambda: fdb.fetchval(
            "SELECT count(*) = $2 FROM ledger WHERE campaign_id = $1", cid, entries
        )
    )
    assert_reconciled(fault_env)


async def _unsettled_is_empty(live: Redis, campaign_id: str) -> bool:
    return not await live.settlement.unsettled_before(campaign_id, EVERYTHING)


async def test_redis_lost_with_work_in_flight_is_rebuilt_exactly(
    fault_stack, fault_env, fault_engine, fhttp, ffactory, fredis, fdb
):
    group = await ffactory.cap_group(1_000)
    merchant, api_key = await ffactory.merchant()
    capped = (
        await ffactory.campaign(quota=10, per_worker_limit=3, face_value_fen=600, cap_group=group)
    )["id"]
    stored = (
        await ffactory.campaign(
            quota=2, face_value_fen=1_000, stored_value=True, merchants=[merchant]
        )
    )["id"]
    spender, holder, late, fresh = await ffactory.workers(4)
    r = await fhttp.post(claims_url(capped), headers=ffactory.worker_headers(spender, "k"))
    assert r.status_code == 201, r.text
    await redeemable_code(fhttp, ffactory, spender, r.json()["claim_id"])
    r = await fhttp.post(claims_url(stored), headers=ffactory.worker_headers(holder, "k"))
    code = await redeemable_code(fhttp, ffactory, holder, r.json()["claim_id"])
    pos = {"Authorization": f"Bearer {api_key}"}
    part = await fhttp.post(
        "/v1/redemptions",
        json={"code": code, "amount_fen": 700},
        headers=pos | {"Idempotency-Key": "part"},
    )
    assert part.status_code == 201, part.text
    back = await fhttp.post(
        "/v1/reversals",
        json={"redemption_id": part.json()["redemption_id"], "amount_fen": 200},
        headers=pos | {"Idempotency-Key": "back"},
    )
    assert back.status_code == 201, back.text
    await wait_for(
        lambda: fdb.fetchval("SELECT count(*) = 2 FROM ledger WHERE campaign_id = $1", stored)
    )
    # A claim admitted while no stream worker runs: in the log, not yet in PostgreSQL.
    stream_workers = fault_engine.kill_streams()
    in_flight = await fhttp.post(claims_url(capped), headers=ffactory.worker_headers(late, "k"))
    assert in_flight.status_code == 201, in_flight.text

    fault_stack.lose_redis()
    repaired = reconcile(fault_env, "--repair")
    # Rebuilt; the one difference left is the claim the issuer has not reached yet.
    assert f"cap {group}: rebuilt" in repaired.stderr, repaired.stderr
    claim_id = in_flight.json()["claim_id"]
    assert repaired.returncode == 1, repaired.stdout + repaired.stderr
    assert repaired.stdout.splitlines() == [
        f"{capped}: claim {claim_id} is in the log but not a voucher yet"
    ]
    for _ in range(stream_workers):
        fault_engine.start_stream()

    async with client(fault_engine, retry_unavailable=True) as http:
        # The cap still holds: 600 spent, another 600 would pass 1,000 fen.
        again = await http.post(claims_url(capped), headers=ffactory.worker_headers(spender, "2"))
        assert again.status_code == 409, again.text
        assert "cap" in again.json()["detail"]
        late_again = await http.post(claims_url(capped), headers=ffactory.worker_headers(late, "2"))
        assert late_again.status_code == 409, late_again.text
        newcomer = await http.post(claims_url(capped), headers=ffactory.worker_headers(fresh, "k"))
        assert newcomer.status_code == 201, newcomer.text
        # Balances and what can still be given back are exact.
        check = (await http.post("/v1/codes/verify", json={"code": code}, headers=pos)).json()
        assert check["balance_fen"] == 1_000 - 700 + 200
        too_much = await http.post(
            "/v1/reversals",
            json={"redemption_id": part.json()["redemption_id"], "amount_fen": 600},
            headers=pos | {"Idempotency-Key": "too-much"},
        )
        assert too_much.status_code == 409 and too_much.json()["refundable_fen"] == 500
        # Issuance completes: the claim in flight becomes its voucher, once.
        await redeemable_code(http, ffactory, late, in_flight.json()["claim_id"])
    rows = await issued(fdb, capped, 3)
    assert sorted(r["worker_id"] for r in rows) == sorted([spender, late, fresh])
    assert_reconciled(fault_env)
