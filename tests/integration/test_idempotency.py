"""An Idempotency-Key belongs to its caller and to one request (engine/domain/
idempotency.py): a repeat gets the first answer, the same key with another request is
refused with 422 idempotency-key-reused and changes nothing, whatever campaign it names,
and no caller ever receives an answer made for another. Run in both shapes: the binding
lives in the caller's slot, the decisions in each campaign's."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime

from tests.helpers.api import balance, issued_codes, pos, store_key

REUSED = "/idempotency-key-reused"


def claims_url(campaign: dict) -> str:
    return f"/v1/campaigns/{campaign['id']}/claims"


async def admitted(http, factory, campaign: dict) -> int:
    r = await http.get(f"/v1/campaigns/{campaign['id']}", headers=factory.ops)
    return int(r.json()["admitted"])


async def test_a_claim_key_names_one_campaign_and_belongs_to_its_worker(http, factory):
    first, second = await factory.campaign(quota=5), await factory.campaign(quota=5)
    alice, bob = await factory.workers(2)
    answer = await http.post(claims_url(first), headers=factory.worker_headers(alice, "k"))
    assert answer.status_code == 201, answer.text
    reused = await http.post(claims_url(second), headers=factory.worker_headers(alice, "k"))
    assert reused.status_code == 422 and reused.json()["type"].endswith(REUSED), reused.text
    assert "claim_id" not in reused.json()
    assert await admitted(http, factory, second) == 0
    # The same request again gets its first answer; another worker's "k" is theirs.
    again = await http.post(claims_url(first), headers=factory.worker_headers(alice, "k"))
    assert again.json() == answer.json()
    theirs = await http.post(claims_url(second), headers=factory.worker_headers(bob, "k"))
    assert theirs.status_code == 201 and theirs.json() != answer.json()
    assert await admitted(http, factory, first) == 1


async def test_a_redemption_key_answers_only_its_own_request(http, factory, db):
    merchant_id, api_key = await factory.merchant()
    east = await store_key(http, factory, merchant_id, "east")
    west = await store_key(http, factory, merchant_id, "west")
    wallet = await factory.campaign(
        quota=2, face_value_fen=1_000, stored_value=True, merchants=[merchant_id]
    )
    single = await factory.campaign(quota=1, face_value_fen=500, merchants=[merchant_id])
    code, spare = await issued_codes(http, factory, db, wallet["id"], 2)
    (other_code,) = await issued_codes(http, factory, db, single["id"], 1)

    first = await http.post(
        "/v1/redemptions", json={"code": code, "amount_fen": 100}, headers=pos(east, "K")
    )
    assert first.status_code == 201, first.text
    for body, credential, terminal in (
        ({"code": code, "amount_fen": 300}, east, None),  # another amount
        ({"code": other_code}, east, None),  # another campaign's code
        ({"code": spare, "amount_fen": 100}, east, None),  # another voucher
        ({"code": code, "amount_fen": 100}, west, None),  # another store of the merchant
        ({"code": code, "amount_fen": 100}, east, "till-2"),  # another terminal
    ):
        r = await http.post("/v1/redemptions", json=body, headers=pos(credential, "K", terminal))
        assert r.status_code == 422 and r.json()["type"].endswith(REUSED), (body, r.text)
        # Nothing of the first answer is told to anyone else.
        assert first.json()["redemption_id"] not in r.text
    same = await http.post(
        "/v1/redemptions", json={"code": code, "amount_fen": 100}, headers=pos(east, "K")
    )
    assert same.status_code == 201 and same.json() == first.json()
    assert await balance(http, api_key, code) == 900
    assert await balance(http, api_key, spare) == 1_000
    check = await http.post("/v1/codes/verify", json={"code": other_code}, headers=pos(api_key))
    assert check.json()["redeemable"] is True


async def test_concurrent_requests_with_one_key_make_one_redemption(http, factory, db):
    merchant_id, api_key = await factory.merchant()
    wallet = await factory.campaign(
        quota=1, face_value_fen=5_000, stored_value=True, merchants=[merchant_id]
    )
    (code,) = await issued_codes(http, factory, db, wallet["id"], 1)
    answers = await asyncio.gather(
        *(
            http.post(
                "/v1/redemptions",
                json={"code": code, "amount_fen": 100 * (1 + i % 2)},
                headers=pos(api_key, "race"),
            )
            for i in range(20)
        )
    )
    statuses = Counter(a.status_code for a in answers)
    ok = [a for a in answers if a.status_code == 201]
    # One request's meaning won the key; its repeats got its answer, the rest were refused
    # (or told to retry while the first was in flight).
    assert set(statuses) <= {201, 409, 422} and ok, statuses
    assert len({a.json()["redemption_id"] for a in ok}) == 1
    assert len({a.json()["amount_fen"] for a in ok}) == 1
    assert await balance(http, api_key, code) == 5_000 - ok[0].json()["amount_fen"]


async def test_a_refused_bad_code_leaves_its_key_free(http, factory, db):
    merchant_id, api_key = await factory.merchant()
    campaign = await factory.campaign(quota=1, merchants=[merchant_id])
    (code,) = await issued_codes(http, factory, db, campaign["id"], 1)
    # A cashier's typo: the code still decodes, but it is not the code issued.
    typo = code[:-3] + ("A" if code[-3] != "A" else "B") + code[-2:]
    wrong = await http.post("/v1/redemptions", json={"code": typo}, headers=pos(api_key, "T"))
    assert wrong.status_code == 422 and wrong.json()["type"].endswith("/invalid-code")
    right = await http.post("/v1/redemptions", json={"code": code}, headers=pos(api_key, "T"))
    assert right.status_code == 201, right.text


async def test_a_reversal_key_answers_only_its_own_request(http, factory, db):
    merchant_id, api_key = await factory.merchant()
    wallet = await factory.campaign(
        quota=1, face_value_fen=1_000, stored_value=True, merchants=[merchant_id]
    )
    (code,) = await issued_codes(http, factory, db, wallet["id"], 1)
    spent = await http.post(
        "/v1/redemptions", json={"code": code, "amount_fen": 600}, headers=pos(api_key, "r1")
    )
    rid = spent.json()["redemption_id"]
    back = await http.post(
        "/v1/reversals", json={"redemption_id": rid, "amount_fen": 100}, headers=pos(api_key, "v")
    )
    assert back.status_code == 201, back.text
    other = await http.post(
        "/v1/reversals", json={"redemption_id": rid, "amount_fen": 200}, headers=pos(api_key, "v")
    )
    assert other.status_code == 422 and other.json()["type"].endswith(REUSED), other.text
    again = await http.post(
        "/v1/reversals", json={"redemption_id": rid, "amount_fen": 100}, headers=pos(api_key, "v")
    )
    assert again.status_code == 201 and again.json() == back.json()
    assert await balance(http, api_key, code) == 500


async def test_an_offline_item_is_held_to_its_key_too(http, factory, db):
    merchant_id, api_key = await factory.merchant()
    campaign = await factory.campaign(quota=2, merchants=[merchant_id])
    first, second = await issued_codes(http, factory, db, campaign["id"], 2)
    online = await http.post("/v1/redemptions", json={"code": first}, headers=pos(api_key, "o"))
    assert online.status_code == 201, online.text
    at = datetime.now(UTC).isoformat()
    items = [
        {"code": first, "idempotency_key": "o", "redeemed_at": at},  # the same intent
        {"code": second, "idempotency_key": "o", "redeemed_at": at},  # another code
    ]
    r = await http.post("/v1/redemptions/batch", json={"items": items}, headers=pos(api_key))
    results = r.json()["results"]
    assert results[0]["status"] == "accepted"
    assert results[0]["redemption"]["redemption_id"] == online.json()["redemption_id"]
    assert (results[1]["status"], results[1]["reason"]) == ("rejected", "idempotency-key-reused")
    check = await http.post("/v1/codes/verify", json={"code": second}, headers=pos(api_key))
    assert check.json()["redeemable"] is True


async def test_eligibility_follows_the_profile_not_the_token(http, factory):
    couriers = [await factory.campaign(quota=5, eligible_categories=["courier"]) for _ in range(2)]
    (worker,) = await factory.workers(1)
    headers = factory.worker_headers(worker, "a")  # one token for the whole test
    assert (await http.post(claims_url(couriers[0]), headers=headers)).status_code == 201
    changed = {"id": worker, "category": "truck_driver"}
    r = await http.post("/v1/workers", json=changed, headers=factory.ops)
    assert r.status_code in (200, 201), r.text
    refused = await http.post(claims_url(couriers[1]), headers=headers | {"Idempotency-Key": "b"})
    assert refused.status_code == 403 and refused.json()["type"].endswith("/not-eligible")

    # A rule over the profile: hardship revoked counts at the next claim as well.
    hardship = await factory.campaign(
        quota=5,
        eligible_categories=["delivery_rider"],
        rules=[{"field": "hardship", "op": "eq", "value": True}],
    )
    rider = {"id": worker, "category": "delivery_rider", "hardship": True}
    await http.post("/v1/workers", json=rider, headers=factory.ops)
    await http.post("/v1/workers", json=rider | {"hardship": False}, headers=factory.ops)
    answer = await http.post(claims_url(hardship), headers=headers | {"Idempotency-Key": "c"})
    assert answer.status_code == 403 and answer.json()["failed_rule"]["field"] == "hardship"
