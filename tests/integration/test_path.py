"""The whole path through the HTTP API and the faust worker, from campaign to ledger row."""

from __future__ import annotations

from engine.domain.codes import verify_code
from tests.helpers.api import redeemable_code
from tests.helpers.waiting import sleep_until, wait_for


async def test_campaign_to_ledger_row(http, factory, db):
    merchant_id, api_key = await factory.merchant()
    campaign = await factory.campaign(quota=5, merchants=[merchant_id])
    cid = campaign["id"]
    assert (campaign["remaining"], campaign["admitted"]) == (5, 0)

    r = await http.post(
        "/v1/workers",
        json={"id": factory.unique("w"), "category": "courier", "hukou_city": "Fuyang"},
        headers=factory.ops,
    )
    assert r.status_code == 201, r.text
    worker_id = r.json()["id"]
    r = await http.post(f"/v1/workers/{worker_id}/token", headers=factory.ops)
    assert r.status_code == 200, r.text
    worker = {"Authorization": f"Bearer {r.json()['token']}"}

    r = await http.post(f"/v1/campaigns/{cid}/claims", headers=worker | {"Idempotency-Key": "k-1"})
    assert r.status_code == 201, r.text
    claim = r.json()
    assert claim["status"] == "admitted"

    async def issued():
        r = await http.get(f"/v1/claims/{claim['claim_id']}", headers=worker)
        assert r.status_code == 200, r.text
        return r.json() if r.json()["status"] == "issued" else None

    status = await wait_for(issued)
    voucher = status["voucher"]
    payload = verify_code(voucher["code"], factory.keyring.public_keys)
    assert (payload.serial, payload.campaign_number) == (voucher["serial"], campaign["number"])

    mine = (await http.get("/v1/me/vouchers", headers=worker)).json()["vouchers"]
    assert [v["code"] for v in mine] == [voucher["code"]]

    merchant = {"Authorization": f"Bearer {api_key}", "Idempotency-Key": "pos-1"}
    r = await http.post("/v1/redemptions", json={"code": voucher["code"]}, headers=merchant)
    assert r.status_code == 201, r.text
    redemption = r.json()
    assert redemption["serial"] == voucher["serial"]
    assert redemption["campaign_id"] == cid
    assert redemption["face_value_fen"] == 300

    row = await wait_for(
        lambda: db.fetchrow(
            "SELECT * FROM redemptions WHERE redemption_id = $1", redemption["redemption_id"]
        )
    )
    assert (row["campaign_id"], row["serial"], row["merchant_id"]) == (
        cid,
        voucher["serial"],
        merchant_id,
    )

    view = (await http.get(f"/v1/campaigns/{cid}", headers=factory.ops)).json()
    assert (view["remaining"], view["admitted"], view["issued"], view["redeemed"]) == (4, 1, 1, 1)
    mine = (await http.get("/v1/me/vouchers", headers=worker)).json()["vouchers"]
    assert mine[0]["status"] == "redeemed"


async def test_workers_see_only_their_own_claims(http, factory):
    campaign = await factory.campaign()
    alice, bob = await factory.workers(2)
    r = await http.post(
        f"/v1/campaigns/{campaign['id']}/claims", headers=factory.worker_headers(alice, "a")
    )
    assert r.status_code == 201
    claim_id = r.json()["claim_id"]
    bob_auth = {"Authorization": f"Bearer {factory.token(bob)}"}
    r = await http.get(f"/v1/claims/{claim_id}", headers=bob_auth)
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert (await http.get("/v1/me/vouchers", headers=bob_auth)).json() == {"vouchers": []}


async def test_refusals_carry_stable_problem_types(http, factory):
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    closed = await factory.campaign(
        claim_opens_at=(now + timedelta(hours=1)).isoformat(),
        claim_closes_at=(now + timedelta(hours=2)).isoformat(),
    )
    riders_only = await factory.campaign(eligible_categories=["delivery_rider"])
    (worker,) = await factory.workers(1)
    cases = [
        (closed["id"], 403, "claim-window-closed"),
        (riders_only["id"], 403, "not-eligible"),
        ("no-such-campaign", 404, "not-found"),
    ]
    for cid, status, slug in cases:
        # One key per intent: a key stays bound to the claim it was first sent with.
        r = await http.post(
            f"/v1/campaigns/{cid}/claims", headers=factory.worker_headers(worker, cid)
        )
        assert r.status_code == status, r.text
        assert r.json()["type"].endswith("/" + slug)
        assert r.headers["content-type"] == "application/problem+json"


async def test_expired_voucher_is_refused_with_410(http, factory):
    from datetime import UTC, datetime, timedelta

    merchant_id, api_key = await factory.merchant()
    (worker,) = await factory.workers(1)
    # The windows start after the setup, with room for a machine several times slower.
    now = datetime.now(UTC)
    closes, expires = now + timedelta(seconds=4), now + timedelta(seconds=5)
    campaign = await factory.campaign(
        merchants=[merchant_id],
        claim_closes_at=closes.isoformat(),
        valid_until=expires.isoformat(),
    )
    r = await http.post(
        f"/v1/campaigns/{campaign['id']}/claims",
        headers=factory.worker_headers(worker, "soon-expired"),
    )
    assert r.status_code == 201, r.text
    issued = await redeemable_code(http, factory, worker, r.json()["claim_id"])
    await sleep_until(expires)
    redeem = await http.post(
        "/v1/redemptions",
        json={"code": issued},
        headers={"Authorization": f"Bearer {api_key}", "Idempotency-Key": "late"},
    )
    assert redeem.status_code == 410, redeem.text
    assert redeem.json()["type"].endswith("/expired")
    late = await http.post(
        f"/v1/campaigns/{campaign['id']}/claims",
        headers=factory.worker_headers(worker, "after-close"),
    )
    assert late.status_code == 403 and late.json()["type"].endswith("/claim-window-closed")
