"""The claim and redemption routes are answered by a thin layer (hot_routes.py) and by the
framework's routes alike: the same request gets the same status, headers and body on
either path, whatever it holds. Both paths run in this process over the real services,
one with the thin layer and one without (NUANXIN_HOT_ROUTES=false)."""

from __future__ import annotations

import json

import httpx

from tests.helpers.api import NESTED, issued_codes, pos, store_key


def same(fast: httpx.Response, slow: httpx.Response, *differ: str) -> None:
    """The same answer, but for the request id and the fields named (ids of other callers)."""
    assert (fast.status_code, fast.headers["content-type"]) == (
        slow.status_code,
        slow.headers["content-type"],
    ), (fast.text, slow.text)
    left, right = fast.json(), slow.json()
    for body in (left, right):
        body.pop("request_id", None)
        for name in differ:
            body.pop(name, None)
    assert left == right
    assert fast.headers.get("retry-after") == slow.headers.get("retry-after")


async def pair(paths, send) -> tuple[httpx.Response, httpx.Response]:
    """`send(client, side)` on the fast path (side 0) and the framework (side 1)."""
    return await send(paths[0], 0), await send(paths[1], 1)


async def test_claims_answer_alike_on_both_paths(paths, factory):
    campaign = await factory.campaign(quota=2, face_value_fen=300)
    other = await factory.campaign(quota=5)
    url = f"/v1/campaigns/{campaign['id']}/claims"
    holders, late = await factory.workers(2), await factory.workers(2)

    def claim(workers, key="k", url=url, **body):
        return lambda c, side: c.post(
            url, headers=factory.worker_headers(workers[side], key), **body
        )

    first = await pair(paths, claim(holders))
    assert first[0].status_code == 201
    same(*first, "claim_id")
    # A repeat gets its first answer on the other path too.
    again = await paths[1].post(url, headers=factory.worker_headers(holders[0], "k"))
    assert again.json() == first[0].json()
    # The same key with another campaign is refused alike, and nothing is claimed.
    reused = await pair(paths, claim(holders, url=f"/v1/campaigns/{other['id']}/claims"))
    same(*reused)
    assert reused[0].json()["type"].endswith("/idempotency-key-reused")

    for i, bad in enumerate(['"300"', '" 300 "', '"3_00"', "true", "300.0", "0", "NaN", "1e400"]):
        answers = await pair(
            paths,
            lambda c, side, bad=bad, i=i: c.post(
                url,
                content=f'{{"face_value_fen": {bad}}}',
                headers=factory.worker_headers(late[side], f"bad-{i}")
                | {"content-type": "application/json"},
            ),
        )
        assert answers[0].status_code == 422, (bad, answers[0].text)
        same(*answers)
    nested = await pair(
        paths,
        lambda c, side: c.post(
            url,
            content=NESTED,
            headers=factory.worker_headers(late[side], "n") | {"content-type": "application/json"},
        ),
    )
    assert nested[0].status_code == 400
    same(*nested)
    sold = await pair(paths, claim(late, "s"))
    assert sold[0].status_code == 410
    same(*sold)


async def test_redemptions_answer_alike_on_both_paths(paths, http, factory, db):
    merchant_id, api_key = await factory.merchant()
    east = await store_key(http, factory, merchant_id, "east")
    campaign = await factory.campaign(
        quota=4, face_value_fen=1_000, merchants=[merchant_id], stored_value=True
    )
    other = await factory.campaign(quota=1, face_value_fen=500, merchants=[merchant_id])
    codes = await issued_codes(http, factory, db, campaign["id"], 4)
    (other_code,) = await issued_codes(http, factory, db, other["id"], 1)

    def redeem(body, key, credential=api_key, terminal=None):
        return lambda c, side: c.post(
            "/v1/redemptions",
            json=body(side),
            headers=pos(credential, f"{key}-{side}", terminal),
        )

    first = await pair(paths, redeem(lambda side: {"code": codes[side], "amount_fen": 100}, "r"))
    assert first[0].status_code == 201, first[0].text
    same(*first, "redemption_id", "serial", "redeemed_at")
    # The same key with another amount, another code, from another store or terminal:
    # refused alike, and nothing more is spent.
    for body, credential, terminal in (
        (lambda side: {"code": codes[side], "amount_fen": 300}, api_key, None),
        (lambda side: {"code": other_code, "amount_fen": 100}, api_key, None),
        (lambda side: {"code": codes[side], "amount_fen": 100}, east, None),
        (lambda side: {"code": codes[side], "amount_fen": 100}, api_key, "till-9"),
    ):
        reused = await pair(paths, redeem(body, "r", credential, terminal))
        assert reused[0].json()["type"].endswith("/idempotency-key-reused"), reused[0].text
        same(*reused)
    for i, bad in enumerate(['"100"', '" 100 "', '"1_0"', "true", "100.0", "-1", "1e30", "NaN"]):
        answers = await pair(
            paths,
            lambda c, side, bad=bad, i=i: c.post(
                "/v1/redemptions",
                content=f'{{"code": "{codes[2 + side]}", "amount_fen": {bad}}}',
                headers=pos(api_key, f"bad-{i}") | {"content-type": "application/json"},
            ),
        )
        assert answers[0].status_code == 422, (bad, answers[0].text)
        same(*answers)
    for credential in (None, api_key, "nxm_not-a-key"):
        headers = {"content-type": "application/json", "Idempotency-Key": "n"}
        if credential:
            headers["Authorization"] = f"Bearer {credential}"
        nested = await pair(
            paths, lambda c, side, h=headers: c.post("/v1/redemptions", content=NESTED, headers=h)
        )
        assert nested[0].status_code == 400, nested[0].text
        same(*nested)
    # Every refusal above left every balance as it was.
    balances = []
    for code in codes:
        r = await http.post("/v1/codes/verify", json={"code": code}, headers=pos(api_key))
        balances.append(r.json()["balance_fen"])
    assert balances == [900, 900, 1_000, 1_000]


async def test_bad_tokens_and_keys_answer_alike(paths, factory):
    campaign = await factory.campaign(quota=2)
    url = f"/v1/campaigns/{campaign['id']}/claims"
    (worker,) = await factory.workers(1)
    headers = factory.worker_headers(worker, "k")
    for sent in (
        headers | {"Authorization": "Bearer nxw1.t1.e30.AAAA"},
        {"Idempotency-Key": "k"},
        {"Authorization": headers["Authorization"]},
        headers | {"Idempotency-Key": "k" * 129},
    ):
        answers = await pair(paths, lambda c, side, h=sent: c.post(url, headers=h))
        assert answers[0].status_code in (401, 422)
        same(*answers)
    missing = await pair(
        paths, lambda c, side: c.post("/v1/campaigns/nope-nope/claims", headers=headers)
    )
    assert missing[0].status_code == 404
    same(*missing)
    stranger = await pair(
        paths,
        lambda c, side: c.post("/v1/redemptions", json={"code": "x"}, headers=pos("nxm_x", "d")),
    )
    assert stranger[0].status_code == 401
    same(*stranger)
    assert json.loads(stranger[0].text)["type"].endswith("/unauthorized")
