"""Promises 1, 2 and 4 under concurrency: no oversell, limits hold, single use."""

from __future__ import annotations

import asyncio
from collections import Counter

from engine.domain.codes import verify_code
from engine.events import VOUCHER_REDEEMED
from tests.helpers.api import redeemable_code
from tests.helpers.waiting import applied_until_now, wait_for


async def test_1000_workers_on_quota_100(http, factory, db):
    campaign = await factory.campaign(quota=100)
    cid = campaign["id"]
    workers = await factory.workers(1000)

    async def claim(worker_id: str) -> int:
        r = await http.post(
            f"/v1/campaigns/{cid}/claims", headers=factory.worker_headers(worker_id, "burst")
        )
        if r.status_code != 201:
            assert r.json()["type"].endswith("/sold-out"), r.text
        return r.status_code

    statuses = Counter(await asyncio.gather(*(claim(w) for w in workers)))
    assert statuses == {201: 100, 410: 900}

    rows = await wait_for(lambda: _vouchers_when(db, cid, 100), timeout_s=60)
    codes = [r["code"] for r in rows]
    assert len(set(codes)) == 100
    assert sorted(r["serial"] for r in rows) == list(range(1, 101))
    for code in codes:
        assert verify_code(code, factory.keyring.public_keys).campaign_number == campaign["number"]
    view = (await http.get(f"/v1/campaigns/{cid}", headers=factory.ops)).json()
    assert (view["remaining"], view["admitted"], view["issued"]) == (0, 100, 100)


async def _vouchers_when(db, campaign_id: str, n: int):
    rows = await db.fetch("SELECT serial, code FROM vouchers WHERE campaign_id = $1", campaign_id)
    assert len(rows) <= n, f"{len(rows)} voucher rows for {n} admitted claims"
    return rows if len(rows) == n else None


async def test_one_worker_50_keys_limit_1(http, factory, db):
    campaign = await factory.campaign(quota=100, per_worker_limit=1)
    (worker,) = await factory.workers(1)
    results = await asyncio.gather(
        *(
            http.post(
                f"/v1/campaigns/{campaign['id']}/claims",
                headers=factory.worker_headers(worker, f"key-{i}"),
            )
            for i in range(50)
        )
    )
    statuses = Counter(r.status_code for r in results)
    assert statuses == {201: 1, 409: 49}
    assert all(r.json()["type"].endswith("/limit-reached") for r in results if r.status_code == 409)
    await wait_for(lambda: _vouchers_when(db, campaign["id"], 1))


async def test_same_key_20_times_is_one_claim(http, factory, db):
    campaign = await factory.campaign(quota=100, per_worker_limit=5)
    (worker,) = await factory.workers(1)
    headers = factory.worker_headers(worker, "same-key")
    results = await asyncio.gather(
        *(http.post(f"/v1/campaigns/{campaign['id']}/claims", headers=headers) for _ in range(20))
    )
    assert {r.status_code for r in results} == {201}
    view = (await http.get(f"/v1/campaigns/{campaign['id']}", headers=factory.ops)).json()
    assert view["admitted"] == 1
    # Only one of the worker's five was used: a new key is admitted as the second.
    other = await http.post(
        f"/v1/campaigns/{campaign['id']}/claims", headers=factory.worker_headers(worker, "new")
    )
    assert other.status_code == 201 and other.json()["claim_id"] != results[0].json()["claim_id"]
    view = (await http.get(f"/v1/campaigns/{campaign['id']}", headers=factory.ops)).json()
    assert view["admitted"] == 2
    await wait_for(lambda: _vouchers_when(db, campaign["id"], 2))


async def test_50_concurrent_redemptions_two_merchants(http, factory, db, live, settings):
    (m1, key1), (m2, key2) = await factory.merchant(), await factory.merchant()
    campaign = await factory.campaign(quota=1, merchants=[m1, m2])
    (worker,) = await factory.workers(1)
    r = await http.post(
        f"/v1/campaigns/{campaign['id']}/claims", headers=factory.worker_headers(worker, "one")
    )
    code = await redeemable_code(http, factory, worker, r.json()["claim_id"])
    results = await asyncio.gather(
        *(
            http.post(
                "/v1/redemptions",
                json={"code": code},
                headers={
                    "Authorization": f"Bearer {key1 if i % 2 else key2}",
                    "Idempotency-Key": f"pos-{i}",
                },
            )
            for i in range(50)
        )
    )
    statuses = Counter(r.status_code for r in results)
    assert statuses == {201: 1, 409: 49}
    assert all(
        r.json()["type"].endswith("/already-redeemed") for r in results if r.status_code == 409
    )
    winner = next(r for r in results if r.status_code == 201).json()

    # The winner's retry gets the original answer; the ledger holds exactly one row.
    index = next(i for i, r in enumerate(results) if r.status_code == 201)
    retry = await http.post(
        "/v1/redemptions",
        json={"code": code},
        headers={
            "Authorization": f"Bearer {key1 if index % 2 else key2}",
            "Idempotency-Key": f"pos-{index}",
        },
    )
    assert retry.status_code == 201 and retry.json() == winner
    # Everything the log held by now is in the ledger: a wrongly duplicated event too.
    await applied_until_now(live, settings, VOUCHER_REDEEMED)
    rows = await db.fetch("SELECT * FROM redemptions WHERE campaign_id = $1", campaign["id"])
    assert len(rows) == 1 and rows[0]["redemption_id"] == winner["redemption_id"]
