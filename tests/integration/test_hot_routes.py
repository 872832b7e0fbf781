"""The claim route answers well-formed claims without the framework, and hands anything
else to it: both paths must give the same answers, headers and bodies."""

from __future__ import annotations

import json

from tests.integration.test_merchants import issued_codes, pos


def _same_problem(a, b) -> None:
    assert a.status_code == b.status_code
    assert a.headers["content-type"] == b.headers["content-type"] == "application/problem+json"
    left, right = a.json(), b.json()
    for body in (left, right):
        body.pop("request_id")
    assert left == right
    assert a.headers.get("x-request-id") and b.headers.get("x-request-id")


async def test_the_fast_path_and_the_framework_answer_alike(http, factory):
    campaign = await factory.campaign(quota=2, face_value_fen=300)
    url = f"/v1/campaigns/{campaign['id']}/claims"
    a, b, c, d = await factory.workers(4)
    # No body, or {"face_value_fen": 300}: the fast path. A string the framework coerces
    # ("300") is the framework's to answer.
    fast = await http.post(url, headers=factory.worker_headers(a, "k"))
    slow = await http.post(
        url,
        content=json.dumps({"face_value_fen": "300"}),
        headers=factory.worker_headers(b, "k") | {"content-type": "application/json"},
    )
    for answer in (fast, slow):
        assert answer.status_code == 201, answer.text
        assert answer.headers["content-type"] == "application/json"
        assert set(answer.json()) == {"claim_id", "status"}
    sold_fast = await http.post(
        url, json={"face_value_fen": 300}, headers=factory.worker_headers(c, "k")
    )
    sold_slow = await http.post(
        url,
        content=json.dumps({"face_value_fen": "300"}),
        headers=factory.worker_headers(d, "k") | {"content-type": "application/json"},
    )
    assert sold_fast.status_code == 410
    _same_problem(sold_fast, sold_slow)


async def test_bad_tokens_and_keys_get_the_framework_s_answers(http, factory):
    campaign = await factory.campaign(quota=2)
    url = f"/v1/campaigns/{campaign['id']}/claims"
    (worker,) = await factory.workers(1)
    headers = factory.worker_headers(worker, "k")
    forged = await http.post(url, headers=headers | {"Authorization": "Bearer nxw1.t1.e30.AAAA"})
    missing = await http.post(url, headers={"Idempotency-Key": "k"})
    assert forged.status_code == missing.status_code == 401
    no_key = await http.post(url, headers={"Authorization": headers["Authorization"]})
    assert no_key.status_code == 422 and no_key.json()["type"].endswith("/validation-error")
    unknown = await http.post(
        url, json={"face_value_fen": 300, "extra": 1}, headers=factory.worker_headers(worker, "x")
    )
    assert unknown.status_code == 422
    nothing = await http.post("/v1/campaigns/nope-nope/claims", headers=headers)
    assert nothing.status_code == 404 and nothing.json()["type"].endswith("/not-found")


async def test_redemptions_answer_alike_on_both_paths(http, factory, db):
    merchant_id, api_key = await factory.merchant()
    campaign = await factory.campaign(quota=2, face_value_fen=1_000, merchants=[merchant_id])
    (code,) = await issued_codes(http, factory, db, campaign["id"], 1)
    first = await http.post("/v1/redemptions", json={"code": code}, headers=pos(api_key, "a"))
    assert first.status_code == 201, first.text
    assert first.headers["content-type"] == "application/json"
    assert set(first.json()) >= {"redemption_id", "amount_fen", "balance_fen", "redeemed_at"}
    again_fast = await http.post(
        "/v1/redemptions", json={"code": code, "amount_fen": 1_000}, headers=pos(api_key, "b")
    )
    # "1000" as a string: the framework coerces it, so it is the framework's to answer.
    again_slow = await http.post(
        "/v1/redemptions",
        content=json.dumps({"code": code, "amount_fen": "1000"}),
        headers=pos(api_key, "c") | {"content-type": "application/json"},
    )
    assert again_fast.status_code == 409
    _same_problem(again_fast, again_slow)
    stranger = await http.post(
        "/v1/redemptions", json={"code": code}, headers=pos("nxm_not-a-key", "d")
    )
    assert stranger.status_code == 401
