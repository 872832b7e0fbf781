"""Discount vouchers through the API: the metro's half price (percent_off), 满减 tiers
(threshold) and a free ticket, redeemed on an order, reversed whole, settled and chained."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from tests.helpers.api import assert_problem, issued_codes, pos
from tests.helpers.books import ledger_rows_when, ledger_verify
from tests.helpers.waiting import wait_for

METRO_HALF = {"kind": "percent_off", "percent": 50, "cap_fen": 300}
TWO_TIERS = {
    "kind": "threshold",
    "tiers": [
        {"min_order_fen": 10_000, "off_fen": 3_000},
        {"min_order_fen": 20_000, "off_fen": 7_000},
    ],
}


async def test_a_percent_off_voucher_grants_half_the_order_up_to_its_cap(http, factory, db, engine):
    merchant_id, api_key = await factory.merchant()
    campaign = await factory.campaign(
        quota=2, face_value_fen=300, discount=METRO_HALF, merchants=[merchant_id]
    )
    assert campaign["discount"] == METRO_HALF
    first, second = await issued_codes(http, factory, db, campaign["id"], 2)

    check = await http.post(
        "/v1/codes/verify", json={"code": first, "order_fen": 401}, headers=pos(api_key)
    )
    shown = check.json()
    assert (shown["discount"], shown["grants_fen"], shown["shortfall_fen"]) == (METRO_HALF, 201, 0)

    # Bad input holds no key and changes nothing: no order, or an amount instead of one.
    assert_problem(
        await http.post("/v1/redemptions", json={"code": first}, headers=pos(api_key, "k1")), 422
    )
    assert_problem(
        await http.post(
            "/v1/redemptions",
            json={"code": first, "amount_fen": 100, "order_fen": 400},
            headers=pos(api_key, "k1"),
        ),
        422,
    )
    r = await http.post(
        "/v1/redemptions", json={"code": first, "order_fen": 401}, headers=pos(api_key, "k1")
    )
    assert r.status_code == 201, r.text
    answer = r.json()
    assert (answer["amount_fen"], answer["order_fen"], answer["to_pay_fen"]) == (201, 401, 200)
    assert answer["balance_fen"] == 0
    repeat = await http.post(
        "/v1/redemptions", json={"code": first, "order_fen": 401}, headers=pos(api_key, "k1")
    )
    assert repeat.status_code == 201 and repeat.json() == answer
    other_order = await http.post(
        "/v1/redemptions", json={"code": first, "order_fen": 900}, headers=pos(api_key, "k1")
    )
    assert_problem(other_order, 422, "idempotency-key-reused")
    assert_problem(
        await http.post(
            "/v1/redemptions", json={"code": first, "order_fen": 900}, headers=pos(api_key, "k2")
        ),
        409,
        "already-redeemed",
    )

    # A discount is given back whole, and then the whole voucher is usable again.
    part = await http.post(
        "/v1/reversals",
        json={"redemption_id": answer["redemption_id"], "amount_fen": 100},
        headers=pos(api_key, "v1"),
    )
    assert_problem(part, 409, "insufficient-balance")
    whole = await http.post(
        "/v1/reversals", json={"redemption_id": answer["redemption_id"]}, headers=pos(api_key, "v2")
    )
    assert whole.status_code == 201 and whole.json()["amount_fen"] == 201
    again = await http.post(
        "/v1/redemptions", json={"code": first, "order_fen": 5_000}, headers=pos(api_key, "k3")
    )
    assert again.status_code == 201 and again.json()["amount_fen"] == 300  # the cap
    capped = await http.post(
        "/v1/redemptions", json={"code": second, "order_fen": 1}, headers=pos(api_key, "k4")
    )
    assert capped.json()["amount_fen"] == 1  # half a fen rounds up, as at a till

    rows = await wait_for(lambda: ledger_rows_when(db, campaign["id"], 4))
    assert sorted((r["kind"], r["amount_fen"], r["order_fen"]) for r in rows) == [
        ("redemption", 1, 1),
        ("redemption", 201, 401),
        ("redemption", 300, 5_000),
        ("reversal", -201, 401),
    ]
    # The worker's voucher is used up in the system of record too (a discount spends it).
    used = await db.fetchval(
        "SELECT sum(voucher_fen) FROM ledger WHERE campaign_id = $1", campaign["id"]
    )
    assert used == 600

    async def statement():
        today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()
        r = await http.get(
            f"/v1/merchants/{merchant_id}/settlements",
            params={"from": today, "to": today},
            headers=pos(api_key),
        )
        days = r.json()["days"]
        return days if days and days[0]["redemptions"] == 3 and days[0]["reversals"] == 1 else None

    (day,) = await wait_for(statement)
    # The merchant is paid the discounts granted, never a face value.
    assert (day["redeemed_fen"], day["reversed_fen"], day["net_fen"]) == (502, 201, 301)
    chain = await ledger_verify(engine, merchant_id)
    assert chain.returncode == 0 and json.loads(chain.stdout)["broken"] is None


async def test_a_threshold_voucher_refuses_a_small_order_and_grants_the_top_tier_reached(
    http, factory, db
):
    merchant_id, api_key = await factory.merchant()
    campaign = await factory.campaign(
        quota=1, face_value_fen=7_000, discount=TWO_TIERS, merchants=[merchant_id]
    )
    (code,) = await issued_codes(http, factory, db, campaign["id"], 1)
    small = await http.post(
        "/v1/redemptions", json={"code": code, "order_fen": 9_999}, headers=pos(api_key, "t1")
    )
    assert_problem(small, 422, "order-below-threshold")
    assert small.json()["shortfall_fen"] == 1
    middle = await http.post(
        "/v1/codes/verify", json={"code": code, "order_fen": 19_999}, headers=pos(api_key)
    )
    assert (middle.json()["grants_fen"], middle.json()["redeemable"]) == (3_000, True)
    # The refused order held no key: the same key now redeems the bigger order.
    r = await http.post(
        "/v1/redemptions", json={"code": code, "order_fen": 25_000}, headers=pos(api_key, "t1")
    )
    assert r.status_code == 201, r.text
    assert (r.json()["amount_fen"], r.json()["to_pay_fen"]) == (7_000, 18_000)


async def test_a_free_voucher_takes_the_item_off_up_to_its_cap(http, factory, db):
    merchant_id, api_key = await factory.merchant()
    campaign = await factory.campaign(
        quota=2,
        face_value_fen=2_000,
        discount={"kind": "free", "cap_fen": 2_000},
        merchants=[merchant_id],
    )
    cheap, dear = await issued_codes(http, factory, db, campaign["id"], 2)
    r = await http.post(
        "/v1/redemptions", json={"code": cheap, "order_fen": 1_500}, headers=pos(api_key, "f1")
    )
    assert (r.json()["amount_fen"], r.json()["to_pay_fen"]) == (1_500, 0)
    r = await http.post(
        "/v1/redemptions", json={"code": dear, "order_fen": 2_600}, headers=pos(api_key, "f2")
    )
    assert (r.json()["amount_fen"], r.json()["to_pay_fen"]) == (2_000, 600)


async def test_an_order_is_refused_on_a_face_value_voucher_and_bad_terms_on_a_campaign(
    http, factory, db
):
    merchant_id, api_key = await factory.merchant()
    campaign = await factory.campaign(quota=1, face_value_fen=300, merchants=[merchant_id])
    (code,) = await issued_codes(http, factory, db, campaign["id"], 1)
    r = await http.post(
        "/v1/redemptions", json={"code": code, "order_fen": 1_000}, headers=pos(api_key, "o1")
    )
    assert_problem(r, 422, "validation-error")
    assert "order_fen" in r.json()["detail"]
    for face, discount in [
        (400, METRO_HALF),  # the face value is the most a voucher grants: the cap
        (300, {**METRO_HALF, "percent": 100}),  # 100% off is 'free'
        (300, {**METRO_HALF, "percent": "50"}),  # a JSON integer, nothing else
        (3_000, {**TWO_TIERS, "tiers": TWO_TIERS["tiers"][::-1]}),  # tiers must rise
        (300, {"kind": "free"}),  # a free item needs a cap
        (300, {"kind": "half"}),
    ]:
        body = factory.campaign_body(face_value_fen=face, discount=discount)
        refused = await http.post("/v1/campaigns", json=body, headers=factory.ops)
        assert_problem(refused, 422)
        assert await db.fetchval("SELECT count(*) FROM campaigns WHERE id = $1", body["id"]) == 0
    stored = factory.campaign_body(face_value_fen=300, discount=METRO_HALF, stored_value=True)
    assert_problem(await http.post("/v1/campaigns", json=stored, headers=factory.ops), 422)
