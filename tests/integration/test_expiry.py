"""Vouchers past their validity are marked expired and their stock is reclaimed, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.helpers.api import redeemable_code
from tests.helpers.waiting import wait_for


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

    def expired(campaign_id: str):
        async def check():
            r = await http.get(f"/v1/campaigns/{campaign_id}", headers=factory.ops)
            return r.json() if r.json()["expired"] == 1 else None

        return check

    await wait_for(expired(cid), timeout_s=30)
    # A voucher that expires later: once it is counted, expiry has run again since, and
    # must not have counted the first one twice.
    (probe_worker,) = await factory.workers(1)
    later = datetime.now(UTC)
    probe = await factory.campaign(
        quota=1,
        claim_closes_at=(later + timedelta(seconds=4)).isoformat(),
        valid_until=(later + timedelta(seconds=5)).isoformat(),
    )
    r = await http.post(
        f"/v1/campaigns/{probe['id']}/claims", headers=factory.worker_headers(probe_worker, "p")
    )
    assert r.status_code == 201, r.text
    await wait_for(expired(probe["id"]), timeout_s=30)
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
