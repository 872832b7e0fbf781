"""A co-funded programme's payers, through the API on the real stack: every redemption and
reversal split between them to the fen, each payer's statement (JSON and CSV with its
digest) adding up, over the payers, to the day's ledger."""

from __future__ import annotations

import asyncio
import hashlib
from collections import Counter
from datetime import UTC, datetime

import pytest

from engine.domain.periods import union_day
from tests.helpers.api import assert_problem, pos, redeemable_code
from tests.helpers.waiting import wait_for

# The charging operator pays 1.50 yuan of each redemption; the union 70% of the rest and
# the merchant 30%.
PAYERS = [
    {"payer_id": "charging-op", "name": "充电运营商", "fixed_fen": 150},
    {"payer_id": "union", "name": "市总工会", "percent": 70},
    {"payer_id": "merchant", "name": "商户", "percent": 30},
]


@pytest.mark.usefixtures("issuing")
async def test_each_payer_gets_its_part_of_every_row_and_the_parts_add_up(http, factory, db):
    merchant, api_key = await factory.merchant()
    campaign = await factory.campaign(
        quota=2, face_value_fen=1_000, stored_value=True, merchants=[merchant], payers=PAYERS
    )
    cid = campaign["id"]
    codes = []
    for w in await factory.workers(2):
        r = await http.post(f"/v1/campaigns/{cid}/claims", headers=factory.worker_headers(w, "k"))
        assert r.status_code == 201, r.text
        codes.append(await redeemable_code(http, factory, w, r.json()["claim_id"]))
    part = await http.post(
        "/v1/redemptions", json={"code": codes[0], "amount_fen": 333}, headers=pos(api_key, "r1")
    )
    whole = await http.post("/v1/redemptions", json={"code": codes[1]}, headers=pos(api_key, "r2"))
    assert part.status_code == 201 and whole.status_code == 201, (part.text, whole.text)
    back = await http.post(
        "/v1/reversals",
        json={"redemption_id": part.json()["redemption_id"]},
        headers=pos(api_key, "v1"),
    )
    assert back.status_code == 201, back.text

    async def ledgered():
        n = await db.fetchval("SELECT count(*) FROM ledger WHERE campaign_id = $1", cid)
        return n == 3

    await wait_for(ledgered)
    day = union_day(datetime.now(UTC)).isoformat()
    span = {"from": day, "to": day}
    url = f"/v1/ops/campaigns/{cid}/payers"
    shown = {}
    for payer in ("charging-op", "union", "merchant"):
        r = await http.get(f"{url}/{payer}/statements", params=span, headers=factory.ops)
        assert r.status_code == 200, r.text
        [row] = r.json()["days"]
        shown[payer] = (row["redeemed_fen"], row["reversed_fen"], row["net_fen"])
    # 1,000: 150 | 595 | 255. 333: 150 | 128.1 -> 128 | 54.9 -> 55 (the larger remainder).
    assert shown == {
        "charging-op": (300, 150, 150),
        "union": (723, 128, 595),
        "merchant": (310, 55, 255),
    }
    assert sum(net for _, _, net in shown.values()) == 1_000  # the day's ledger, to the fen

    exported = await http.get(f"{url}/union/statements.csv", params=span, headers=factory.ops)
    assert exported.headers["X-Content-SHA256"] == hashlib.sha256(exported.content).hexdigest()
    assert exported.text.splitlines() == [
        "day,payer_id,redeemed_fen,reversed_fen,net_fen",
        f"{day},union,723,128,595",
    ]
    assert_problem(
        await http.get(f"{url}/nobody/statements", params=span, headers=factory.ops), 404
    )

    # The charging operator reads its own statement with its payer credential, and only
    # its own; revoked, the credential reads nothing.
    made = await http.post(
        "/v1/ops/credentials",
        json={"name": "cz.finance", "role": "payer", "payer_id": "charging-op"},
        headers=factory.ops,
    )
    assert made.status_code == 201, made.text
    own = {"Authorization": f"Bearer {made.json()['token']}"}
    mine = f"/v1/payers/charging-op/campaigns/{cid}/statements"
    r = await http.get(mine, params=span, headers=own)
    assert r.status_code == 200, r.text
    assert [(d["redeemed_fen"], d["net_fen"]) for d in r.json()["days"]] == [(300, 150)]
    csv_r = await http.get(mine + ".csv", params=span, headers=own)
    assert csv_r.text.splitlines()[1] == f"{day},charging-op,300,150,150"
    theirs = f"/v1/payers/union/campaigns/{cid}/statements"
    assert_problem(await http.get(theirs, params=span, headers=own), 403)
    assert_problem(await http.get(f"{url}/union/statements", params=span, headers=own), 401)
    await http.delete(f"/v1/ops/credentials/{made.json()['credential_id']}", headers=factory.ops)
    assert_problem(await http.get(mine, params=span, headers=own), 401)


async def test_payers_that_do_not_add_up_create_nothing(http, factory):
    body = factory.campaign_body(payers=[{"payer_id": "union", "name": "市总工会", "percent": 60}])
    assert_problem(await http.post("/v1/campaigns", json=body, headers=factory.ops), 422)
    assert (await http.get(f"/v1/campaigns/{body['id']}", headers=factory.ops)).status_code == 404


@pytest.mark.usefixtures("issuing")
async def test_a_burst_stops_where_the_first_payers_budget_would_be_overspent(http, factory, db):
    # The operator's 15 yuan covers ten vouchers' 1.50 yuan; the union's budget many more.
    payers = [
        PAYERS[0] | {"budget_fen": 1_500},
        PAYERS[1] | {"budget_fen": 1_000_000},
        PAYERS[2],
    ]
    campaign = await factory.campaign(quota=100, face_value_fen=1_000, payers=payers)
    cid = campaign["id"]
    workers = await factory.workers(60)
    gate = asyncio.Semaphore(30)

    async def one(worker: str) -> int:
        async with gate:
            r = await http.post(
                f"/v1/campaigns/{cid}/claims", headers=factory.worker_headers(worker, "k")
            )
        return r.status_code

    outcomes = Counter(await asyncio.gather(*(one(w) for w in workers)))
    assert outcomes == {201: 10, 410: 50}, outcomes
    view = (await http.get(f"/v1/campaigns/{cid}", headers=factory.ops)).json()
    assert view["max_spend_fen"] == 10_000 and view["admitted"] == 10

    async def issued():
        n = await db.fetchval("SELECT count(*) FROM vouchers WHERE campaign_id = $1", cid)
        return n == 10

    await wait_for(issued)
