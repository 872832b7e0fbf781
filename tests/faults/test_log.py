"""The log may be lost, and nothing acknowledged is lost with it; a decision is released
only when the log proves its event was never appended, never because a timer ran out
(engine/usecases/log_watch.py, engine/usecases/redrive.py). Both shapes."""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter
from datetime import UTC, datetime, timedelta

from engine.stack.processes import alive
from tests.helpers.api import claims_url, redeem
from tests.helpers.books import issued
from tests.helpers.faults import client, server_pid
from tests.helpers.waiting import sleep_until, wait_for
from tests.integration.engine_procs import assert_reconciled

BACKLOG, REDEEMED = 2_000, 200


async def _many(calls, at_once: int = 50) -> list:
    sem = asyncio.Semaphore(at_once)

    async def one(call):
        async with sem:
            return await call()

    return await asyncio.gather(*(one(c) for c in calls))


async def test_an_acknowledged_claim_is_never_released_by_a_clock(
    fault_env, fault_settings, fault_engine, ffactory, fredis, fdb
):
    """An API process SIGKILLed after the broker acknowledged its claim and before its
    confirmation reached Redis, with every stream worker away for twice the unsettled
    delay: the claim is issued once they are back, and never released."""
    cid = (await ffactory.campaign(quota=3))["id"]
    (worker,) = await ffactory.workers(1)
    streams = fault_engine.kill_streams()
    fault_engine.kill_api()
    fault_engine.start_api(extra_env={"NUANXIN_CONFIRM_DELAY_S": "600"})
    try:
        async with client(fault_engine) as http:
            r = await http.post(claims_url(cid), headers=ffactory.worker_headers(worker, "k"))
        assert r.status_code == 201, r.text
        fault_engine.kill_api()  # its confirmation never left the process
        record = await fredis.admissions.claim_record(cid, r.json()["claim_id"])
        assert record.state == "pending"
        admitted = datetime.fromtimestamp(record.admitted_at_ms / 1000, UTC)
        await sleep_until(admitted + 2 * timedelta(seconds=fault_settings.unsettled_after_s))
    finally:
        fault_engine.start_api()
        for _ in range(streams):
            fault_engine.start_stream()
    (voucher,) = await issued(fdb, cid, 1)
    assert voucher["claim_id"] == r.json()["claim_id"]
    record = await fredis.admissions.claim_record(cid, voucher["claim_id"])
    assert record.state == "issued"
    counters = await fredis.figures.counters(cid)
    assert (counters.admitted, counters.issued) == (1, 1)
    assert_reconciled(fault_env)


async def test_a_lost_log_is_driven_again_from_the_records(
    fault_stack, fault_env, fault_settings, fault_engine, fhttp, ffactory, fredis, fdb
):
    """The broker SIGKILLed with 2,000 admitted claims not yet issued and 200 redemptions
    not yet in the ledger, then back empty (the local broker keeps nothing): every one is
    applied exactly once, and reconcile is clean without --repair."""
    merchant, api_key = await ffactory.merchant()
    redeemable = (await ffactory.campaign(quota=REDEEMED, merchants=[merchant]))["id"]
    backlog = (await ffactory.campaign(quota=BACKLOG))["id"]
    holders, workers = await ffactory.workers(REDEEMED), await ffactory.workers(BACKLOG)

    def claim(cid: str, worker: str):
        return lambda: fhttp.post(claims_url(cid), headers=ffactory.worker_headers(worker, "k"))

    answers = await _many([claim(redeemable, w) for w in holders])
    assert Counter(a.status_code for a in answers) == {201: REDEEMED}
    codes = [v["code"] for v in await issued(fdb, redeemable, REDEEMED)]

    streams = fault_engine.kill_streams()  # nothing is applied from here on
    answers = await _many([claim(backlog, w) for w in workers])
    assert Counter(a.status_code for a in answers) == {201: BACKLOG}
    acknowledged = {a.json()["claim_id"] for a in answers}
    redeemed = await _many([lambda c=c: redeem(fhttp, api_key, c, f"r-{c[-12:]}") for c in codes])
    assert Counter(r.status_code for r in redeemed) == {201: REDEEMED}
    redemption_ids = {r.json()["redemption_id"] for r in redeemed}

    broker = server_pid(fault_stack, "broker")
    os.kill(broker, signal.SIGKILL)
    await wait_for(lambda: asyncio.sleep(0, not alive(broker)), timeout_s=10, interval_s=0.1)
    # On the same port, with no topic and no event; the engine makes the topics again.
    fault_stack.start_server("broker")
    for _ in range(streams):
        fault_engine.start_stream()

    rows = await issued(fdb, backlog, BACKLOG)
    assert {r["claim_id"] for r in rows} == acknowledged
    assert sorted(r["serial"] for r in rows) == list(range(1, BACKLOG + 1))

    async def ledger_rows():
        n = await fdb.fetchval(
            "SELECT count(*) FROM ledger WHERE entry_id = ANY($1::text[])", list(redemption_ids)
        )
        return n if n == REDEEMED else None

    await wait_for(ledger_rows, timeout_s=120)
    async with client(fault_engine) as http:
        again = await redeem(http, api_key, codes[0], "again")
    assert again.status_code == 409, again.text

    # Every worker that read the flag re-drives; the last to finish clears it.
    async def cleared() -> bool:
        return await fredis.log_marks.lost() is None

    await wait_for(cleared, timeout_s=60)
    assert_reconciled(fault_env)
