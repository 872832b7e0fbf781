"""Promise 3: a stream worker killed mid-batch loses nothing and duplicates nothing.

With one core stream worker, it is killed and started again. With several, one is killed
while they work through the backlog together: the others take over its partitions.
"""

from __future__ import annotations

import asyncio
from collections import Counter

from engine.domain.codes import verify_code
from tests.helpers.waiting import wait_for
from tests.integration.engine_procs import assert_reconciled

N = 3000  # enough work that the kill lands while batches are still being written


async def test_sigkill_mid_batch_then_restart(http, factory, db, engine, stack_env, shape):
    campaign = await factory.campaign(quota=N)
    cid = campaign["id"]
    workers = await factory.workers(N)
    engine.kill_streams()
    try:
        sem = asyncio.Semaphore(100)

        async def claim(worker_id: str) -> int:
            async with sem:
                r = await http.post(
                    f"/v1/campaigns/{cid}/claims", headers=factory.worker_headers(worker_id, "k")
                )
                return r.status_code

        assert Counter(await asyncio.gather(*(claim(w) for w in workers))) == {201: N}
        count = "SELECT count(*) FROM vouchers WHERE campaign_id = $1"
        assert await db.fetchval(count, cid) == 0

        for _ in range(shape.stream_workers):
            engine.start_stream()
        partial = await wait_for(lambda: db.fetchval(count, cid), timeout_s=90, interval_s=0.01)
        engine.kill_stream(0)
        assert 0 < partial < N, f"the kill came after the whole backlog ({partial} rows)"
    finally:
        if not engine.streams:
            engine.start_stream()

    async def all_issued():
        n = await db.fetchval(count, cid)
        assert n <= N
        return n == N

    await wait_for(all_issued, timeout_s=120)
    rows = await db.fetch(
        "SELECT serial, code, worker_id FROM vouchers WHERE campaign_id = $1", cid
    )
    assert sorted(r["serial"] for r in rows) == list(range(1, N + 1))
    assert len({r["code"] for r in rows}) == N
    assert Counter(r["worker_id"] for r in rows) == Counter(workers)
    for r in rows:
        assert verify_code(r["code"], factory.keyring.public_keys).serial == r["serial"]
    view = (await http.get(f"/v1/campaigns/{cid}", headers=factory.ops)).json()
    assert (view["admitted"], view["issued"], view["remaining"]) == (N, N, 0)
    assert_reconciled(stack_env, "--campaign", cid)
    while len(engine.streams) < shape.stream_workers:
        engine.start_stream()  # the shape the next tests expect
