"""Promise 7: bad input of any shape gets a 4xx problem+json and changes nothing."""

from __future__ import annotations

import json

import pytest

from tests.helpers.api import assert_problem
from tests.helpers.waiting import wait_for

PROBLEM = "application/problem+json"


async def counters(http, factory, cid: str) -> tuple:
    v = (await http.get(f"/v1/campaigns/{cid}", headers=factory.ops)).json()
    return v["remaining"], v["admitted"], v["issued"], v["redeemed"]


@pytest.mark.parametrize(
    "mutate",
    [
        lambda b: b.pop("quota"),
        lambda b: b.update(quota="many"),
        lambda b: b.update(quota=0),
        lambda b: b.update(quota=-5),
        lambda b: b.update(quota=10**12),
        lambda b: b.update(face_value_fen=1.5),
        lambda b: b.update(id="Not A Slug"),
        lambda b: b.update(id=""),
        lambda b: b.update(name="x" * 10_000),
        lambda b: b.update(claim_opens_at="yesterday"),
        lambda b: b.update(claim_opens_at="2025-01-20T10:00:00"),  # no time zone
        lambda b: b.update(claim_closes_at=b["claim_opens_at"]),
        lambda b: b.update(eligible_categories=[]),
        lambda b: b.update(eligible_categories=["astronaut"]),
        lambda b: b.update(merchants=["no-such-merchant"]),
        lambda b: b.update(merchants="suzhou-metro"),
        lambda b: b.update(surprise=True),
        lambda b: b.update(name="Metro\x00coupon"),  # PostgreSQL text cannot hold NUL
    ],
)
async def test_bad_campaign_bodies(http, factory, mutate):
    body = factory.campaign_body()
    mutate(body)
    r = await http.post("/v1/campaigns", json=body, headers=factory.ops)
    assert_problem(r, 422, "validation-error")
    if isinstance(body.get("id"), str) and body["id"]:
        r = await http.get(f"/v1/campaigns/{body['id']}", headers=factory.ops)
        assert r.status_code in (404, 422)


@pytest.mark.parametrize(
    "raw,ctype,status",
    [
        (b"{not json", "application/json", 422),
        (b"", "application/json", 422),
        (b"[]", "application/json", 422),
        (b"null", "application/json", 422),
        (b"\xff\xfe\x00", "application/json", 400),
        (b"id=x", "application/x-www-form-urlencoded", 422),
    ],
)
async def test_malformed_json(http, factory, raw, ctype, status):
    r = await http.post("/v1/campaigns", content=raw, headers=factory.ops | {"content-type": ctype})
    assert_problem(r, status, "validation-error")


async def test_huge_payloads_are_refused(http, factory):
    body = factory.campaign_body(name="x" * 200_000)
    r = await http.post("/v1/campaigns", json=body, headers=factory.ops)
    assert_problem(r, 413, "payload-too-large")

    async def chunks():
        for _ in range(100):
            yield b"x" * 1024

    r = await http.post("/v1/redemptions", content=chunks(), headers={"Authorization": "Bearer x"})
    assert_problem(r, 413, "payload-too-large")


async def test_duplicate_and_conflicting_creates(http, factory):
    body = factory.campaign_body()
    assert (await http.post("/v1/campaigns", json=body, headers=factory.ops)).status_code == 201
    assert (await http.post("/v1/campaigns", json=body, headers=factory.ops)).status_code == 200
    r = await http.post("/v1/campaigns", json=body | {"quota": 99}, headers=factory.ops)
    assert_problem(r, 409, "conflict")
    assert (await counters(http, factory, body["id"]))[0] == body["quota"]
    merchant_id, _ = await factory.merchant()
    r = await http.post(
        "/v1/merchants", json={"id": merchant_id, "name": "again"}, headers=factory.ops
    )
    assert_problem(r, 409, "conflict")


async def test_claims_with_bad_credentials_or_headers_change_nothing(http, factory):
    merchant_id, api_key = await factory.merchant()
    campaign = await factory.campaign(quota=3, merchants=[merchant_id])
    cid = campaign["id"]
    (worker,) = await factory.workers(1)
    good = factory.worker_headers(worker, "k")
    url = f"/v1/campaigns/{cid}/claims"
    before = await counters(http, factory, cid)
    cases = [
        ({}, 401),
        ({"Authorization": "Bearer nonsense", "Idempotency-Key": "k"}, 401),
        ({"Authorization": f"Bearer {api_key}", "Idempotency-Key": "k"}, 401),
        ({"Authorization": factory.ops["Authorization"], "Idempotency-Key": "k"}, 401),
        ({"Authorization": "Basic dXNlcjpwYXNz", "Idempotency-Key": "k"}, 401),
        ({"Authorization": "Bearer " + "a" * 10_000, "Idempotency-Key": "k"}, 401),
        ({"Authorization": good["Authorization"]}, 422),
        ({"Authorization": good["Authorization"], "Idempotency-Key": "x" * 500}, 422),
        ({"Authorization": good["Authorization"], "Idempotency-Key": "has space"}, 422),
    ]
    for headers, status in cases:
        assert_problem(await http.post(url, headers=headers), status)
    assert_problem(await http.post("/v1/campaigns/NOPE!/claims", headers=good), 422)
    assert_problem(await http.post("/v1/campaigns/no-such/claims", headers=good), 404, "not-found")
    assert await counters(http, factory, cid) == before


async def test_redemptions_with_bad_input_change_nothing(http, factory, db):
    merchant_id, api_key = await factory.merchant()
    _, outsider_key = await factory.merchant()
    campaign = await factory.campaign(quota=1, merchants=[merchant_id])
    (worker,) = await factory.workers(1)
    r = await http.post(
        f"/v1/campaigns/{campaign['id']}/claims", headers=factory.worker_headers(worker, "k")
    )
    claim_id = r.json()["claim_id"]
    auth = {"Authorization": f"Bearer {factory.token(worker)}"}

    async def code():
        body = (await http.get(f"/v1/claims/{claim_id}", headers=auth)).json()
        return body["voucher"]["code"] if body["status"] == "issued" else None

    good = await wait_for(code)
    merchant = {"Authorization": f"Bearer {api_key}", "Idempotency-Key": "pos"}
    flipped = good[:50] + ("0" if good[50] != "0" else "1") + good[51:]
    cases = [
        ({"code": good}, {"Idempotency-Key": "pos"}, 401, "unauthorized"),
        ({"code": good}, auth | {"Idempotency-Key": "pos"}, 401, "unauthorized"),
        ({"code": good}, {"Authorization": f"Bearer {api_key}"}, 422, "validation-error"),
        (
            {"code": good},
            {"Authorization": f"Bearer {outsider_key}", "Idempotency-Key": "o"},
            403,
            "forbidden",
        ),
        ({"code": flipped}, merchant, 422, "invalid-code"),
        ({"code": good[:-1]}, merchant, 422, "invalid-code"),
        ({"code": "hello"}, merchant, 422, "invalid-code"),
        ({"code": good + "X" * 200}, merchant, 422, "validation-error"),
        ({"code": 42}, merchant, 422, "validation-error"),
        ({}, merchant, 422, "validation-error"),
        ({"code": good, "extra": 1}, merchant, 422, "validation-error"),
    ]
    for body, headers, status, slug in cases:
        assert_problem(await http.post("/v1/redemptions", json=body, headers=headers), status, slug)
    assert (await counters(http, factory, campaign["id"]))[3] == 0
    # Untouched by all of that: the genuine redemption still goes through, once.
    r = await http.post("/v1/redemptions", json={"code": good}, headers=merchant)
    assert r.status_code == 201, r.text
    await wait_for(
        lambda: db.fetchval(
            "SELECT count(*) FROM redemptions WHERE campaign_id = $1", campaign["id"]
        )
    )


async def test_ops_endpoints_refuse_other_roles(http, factory):
    _, api_key = await factory.merchant()
    (worker,) = await factory.workers(1)
    for auth in (
        {},
        {"Authorization": f"Bearer {api_key}"},
        {"Authorization": f"Bearer {factory.token(worker)}"},
    ):
        for method, url, body in (
            ("POST", "/v1/campaigns", factory.campaign_body()),
            ("POST", "/v1/merchants", {"id": factory.unique("m"), "name": "x"}),
            ("POST", "/v1/workers", {"id": factory.unique("w"), "category": "courier"}),
            ("POST", f"/v1/workers/{worker}/token", None),
            ("GET", "/v1/campaigns/anything", None),
        ):
            r = await http.request(method, url, json=body, headers=auth)
            assert_problem(r, 401, "unauthorized")


async def test_unknown_routes_and_methods_are_problems(http, factory):
    assert_problem(await http.get("/v1/nothing-here"), 404)
    assert_problem(await http.delete("/v1/campaigns", headers=factory.ops), 405)


async def test_bulk_worker_validation_is_all_or_nothing(http, factory, db):
    ids = [factory.unique("w") for _ in range(3)]
    workers = [
        {"id": ids[0], "category": "courier"},
        {"id": ids[1], "category": "astronaut"},
        {"id": ids[2], "category": "courier"},
    ]
    r = await http.post("/v1/workers/bulk", json={"workers": workers}, headers=factory.ops)
    assert_problem(r, 422, "validation-error")
    assert await db.fetchval("SELECT count(*) FROM workers WHERE id = ANY($1)", ids) == 0


@pytest.mark.parametrize(
    "city",
    [
        "\u82cf\u5dde\x00",  # a NUL character
        "\ud83d",  # half of a surrogate pair: JSON can spell it, UTF-8 cannot
    ],
)
async def test_text_postgresql_cannot_store_is_refused_before_any_write(http, factory, db, city):
    """Found by the fuzzing: such a city once reached the bulk upsert and answered 500."""
    ids = [factory.unique("w") for _ in range(2)]
    workers = [{"id": ids[0], "category": "courier"}, {"id": ids[1], "category": "courier"}]
    workers[1]["hukou_city"] = city
    # Written out by hand: the client would refuse to encode a lone surrogate itself.
    raw = json.dumps({"workers": workers}).encode()
    r = await http.post(
        "/v1/workers/bulk", content=raw, headers=factory.ops | {"content-type": "application/json"}
    )
    assert_problem(r, 422, "validation-error")
    assert await db.fetchval("SELECT count(*) FROM workers WHERE id = ANY($1)", ids) == 0


@pytest.mark.parametrize(
    "url",
    [
        "/v1/ops/audit?target=a%00b",  # found by the fuzzing: reached PostgreSQL, 500
        "/v1/campaigns?status=open%00",
        "/v1/workers/w%00x",
    ],
)
async def test_a_nul_character_in_the_url_is_refused(http, factory, url):
    r = await http.get(url, headers=factory.ops)
    assert_problem(r, 422, "validation-error")
