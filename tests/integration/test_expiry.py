"""Vouchers past their validity are marked expired and their stock is reclaimed, once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from tests.integration.conftest import redeemable_code, wait_for


async def test_expired_vouchers_return_their_stock(http, factory, db, issuing):
    merchant_id, api_key = await factory.merchant()
    workers = await factory.workers(2)
    # The validity starts after the setup, with the stream already issuing: two claims and
    # their issuance fit in it on a machine several times slower than this one.
    now = datetime.now(UTC)
    campaign = await factory.campaign(
        quota=3,
        merchants=[merchant_id],
        rollover=True,
        claim_closes_at=(now + timedelta(seconds=8)).isoformat(),
        valid_until=(now + timedelta(seconds=9)).isoformat(),
    )
    cid = campaign["id"]
    codes = []
    for w in workers:
        r = await http.post(f"/v1/campaigns/{cid}/claims", headers=factory.worker_headers(w, "k"))
        assert r.status_code == 201
        codes.append(await redeemable_code(http, factory, w, r.json()["claim_id"]))
    r = await http.post(
        "/v1/redemptions",
        json={"code": codes[0]},
        headers={"Authorization": f"Bearer {api_key}", "Idempotency-Key": "r"},
    )
    assert r.status_code == 201, r.text

    async def expired():
        view = (await http.get(f"/v1/campaigns/{cid}", headers=factory.ops)).json()
        return view if view["expired"] == 1 else None

    view = await wait_for(expired, timeout_s=30)
    await asyncio.sleep(2.5)  # more expiry runs must not count the same voucher again
    view = (await http.get(f"/v1/campaigns/{cid}", headers=factory.ops)).json()
    assert (view["expired"], view["reclaimed"], view["redeemed"]) == (1, 1, 1)
    assert view["remaining"] == 3 - 2 + 1  # rollover: reclaimed stock counts again
    rows = await db.fetch("SELECT code, expired_at FROM vouchers WHERE campaign_id = $1", cid)
    expired_codes = [r["code"] for r in rows if r["expired_at"] is not None]
    assert expired_codes == [codes[1]]
    late = await http.post(
        "/v1/redemptions",
        json={"code": codes[1]},
        headers={"Authorization": f"Bearer {api_key}", "Idempotency-Key": "r2"},
    )
    assert late.status_code == 410 and late.json()["type"].endswith("/expired")
    mine = (
        await http.get(
            "/v1/me/vouchers", headers={"Authorization": f"Bearer {factory.token(workers[1])}"}
        )
    ).json()
    assert [v["status"] for v in mine["vouchers"]] == ["expired"]
