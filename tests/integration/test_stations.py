"""Gift packs picked up at the union's stations, through the API on the real stack: stock
per station decided with the claim, moved and closed by operations, handed out only at the
chosen station, and a burst of 2,000 workers for 300 packs over 10 stations."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import pytest

from tests.helpers.api import (
    assert_problem,
    claim_place,
    places_campaign,
    places_figures,
    pos,
    redeemable_code,
    store_key,
)
from tests.helpers.books import ledger_rows_when
from tests.helpers.waiting import wait_for
from tests.integration.engine_procs import assert_reconciled

STATIONS = [
    {"station_id": "gs-01", "name": "姑苏区工会服务站", "district": "姑苏区", "stock": 1},
    {"station_id": "yq-01", "name": "园区星海驿站", "district": "工业园区", "stock": 2},
    {"station_id": "wz-01", "name": "吴中驿站", "district": "吴中区", "stock": 2},
]


async def pickup_campaign(http, factory, stations, quota: int) -> tuple[str, str]:
    return await places_campaign(http, factory, "stations", stations, quota=quota)


def claim(http, factory, cid: str, worker: str, station: str | None, key: str = "k"):
    place = {} if station is None else {"station_id": station}
    return claim_place(http, factory, cid, worker, place, key)


async def figures(http, factory, cid: str) -> dict[str, dict]:
    return await places_figures(http, factory, cid, "stations")


@pytest.mark.usefixtures("issuing")
async def test_a_pack_is_claimed_where_stock_is_left_and_handed_out_only_there(http, factory, db):
    cid, merchant = await pickup_campaign(http, factory, STATIONS, quota=5)
    w1, w2, w3 = await factory.workers(3)
    listed = await http.get(
        f"/v1/campaigns/{cid}/stations",
        params={"q": "园区"},
        headers=factory.worker_headers(w1, "-"),
    )
    assert [s["station_id"] for s in listed.json()["stations"]] == ["yq-01"]
    assert_problem(await claim(http, factory, cid, w1, "nowhere"), 422)

    first = await claim(http, factory, cid, w1, "gs-01")
    assert first.status_code == 201, first.text
    assert_problem(await claim(http, factory, cid, w2, "gs-01"), 409, "station-out-of-stock")
    assert (await claim(http, factory, cid, w2, "yq-01", "k2")).status_code == 201

    moved = await http.post(
        f"/v1/campaigns/{cid}/stations/moves",
        json={"source": "wz-01", "target": "gs-01", "packs": 2},
        headers=factory.ops | {"Idempotency-Key": "move-1"},
    )
    assert moved.status_code == 201 and moved.json()["moved"] is True
    again = await http.post(
        f"/v1/campaigns/{cid}/stations/moves",
        json={"source": "wz-01", "target": "gs-01", "packs": 2},
        headers=factory.ops | {"Idempotency-Key": "move-1"},
    )
    assert again.json()["moved"] is False
    too_many = await http.post(
        f"/v1/campaigns/{cid}/stations/moves",
        json={"source": "yq-01", "target": "gs-01", "packs": 2},
        headers=factory.ops | {"Idempotency-Key": "move-2"},
    )
    assert_problem(too_many, 409)
    r = await http.post(f"/v1/campaigns/{cid}/stations/yq-01/close", headers=factory.ops)
    assert r.status_code == 200, r.text
    assert_problem(await claim(http, factory, cid, w3, "yq-01"), 409, "station-closed")
    shown = await figures(http, factory, cid)
    assert {s: (x["stock"], x["left"], x["open"]) for s, x in shown.items()} == {
        "gs-01": (3, 2, True),
        "yq-01": (2, 1, False),
        "wz-01": (0, 0, True),
    }
    audit = await db.fetch("SELECT action FROM audit_log WHERE target = $1", f"campaign:{cid}")
    assert Counter(a["action"] for a in audit)["stations.move"] == 1

    code = await redeemable_code(http, factory, w1, first.json()["claim_id"])
    mine = await http.get("/v1/me/vouchers", headers=factory.worker_headers(w1, "-"))
    assert mine.json()["vouchers"][0]["pickup"]["name"] == "姑苏区工会服务站"
    elsewhere = await store_key(http, factory, merchant, "yq-01")
    here = await store_key(http, factory, merchant, "gs-01")
    refused = await http.post("/v1/redemptions", json={"code": code}, headers=pos(elsewhere, "p1"))
    assert_problem(refused, 403, "another-station")
    handed = await http.post("/v1/redemptions", json={"code": code}, headers=pos(here, "p2"))
    assert handed.status_code == 201, handed.text

    async def picked_up():
        shown = await figures(http, factory, cid)
        return shown if shown["gs-01"]["picked_up"] == 1 else None

    await wait_for(picked_up)


@pytest.mark.usefixtures("issuing")
async def test_a_pack_claimed_without_a_station_is_picked_up_where_chosen_later_once(
    http, factory, db, stack_env
):
    cid, merchant = await pickup_campaign(http, factory, STATIONS, quota=5)
    (worker,) = await factory.workers(1)
    claimed = await claim(http, factory, cid, worker, None)
    assert claimed.status_code == 201, claimed.text
    claim_id = claimed.json()["claim_id"]
    code = await redeemable_code(http, factory, worker, claim_id)
    here = await store_key(http, factory, merchant, "yq-01")
    early = await http.post("/v1/redemptions", json={"code": code}, headers=pos(here, "p1"))
    assert_problem(early, 409, "station-not-chosen")

    def choose(station: str):
        return http.post(
            f"/v1/me/vouchers/{claim_id}/station",
            json={"station_id": station},
            headers=factory.worker_headers(worker, "-"),
        )

    assert_problem(await choose("nowhere"), 422)
    chosen = await choose("yq-01")
    assert chosen.status_code == 200 and chosen.json()["name"] == "园区星海驿站", chosen.text
    assert (await choose("yq-01")).status_code == 200  # a retry of the same choice
    assert_problem(await choose("gs-01"), 409)  # once
    assert (await figures(http, factory, cid))["yq-01"]["left"] == 1
    handed = await http.post("/v1/redemptions", json={"code": code}, headers=pos(here, "p2"))
    assert handed.status_code == 201, handed.text
    # Reconciling compares settled records: the redemption reaches the ledger after its
    # answer (a rebalance of the stream workers can hold it for seconds).
    await wait_for(lambda: ledger_rows_when(db, cid, 1))
    await asyncio.to_thread(assert_reconciled, stack_env, "--campaign", cid)


@pytest.mark.usefixtures("issuing")
async def test_two_thousand_workers_for_300_packs_at_ten_stations_overbook_none_lose_none(
    http, factory, db, stack_env
):
    stations = [
        {"station_id": f"st-{i:02d}", "name": f"服务站 {i}", "district": "姑苏区", "stock": 30}
        for i in range(10)
    ]
    cid, _ = await pickup_campaign(http, factory, stations, quota=300)
    workers = await factory.workers(2_000)
    choose = random.Random(26)
    gate = asyncio.Semaphore(200)

    async def one(worker: str) -> tuple[int, str]:
        station = f"st-{choose.randrange(10):02d}"
        async with gate:
            r = await claim(http, factory, cid, worker, station)
        return r.status_code, r.json().get("type", "").rsplit("/", 1)[-1] or station

    answers = await asyncio.gather(*(one(w) for w in workers))
    outcomes = Counter(status for status, _ in answers)
    assert outcomes[201] == 300, outcomes
    assert set(outcomes) == {201, 409}
    assert {why for status, why in answers if status == 409} == {"station-out-of-stock"}
    shown = await figures(http, factory, cid)
    assert all(x["left"] == 0 and x["stock"] == 30 for x in shown.values()), shown

    async def issued():
        rows = await db.fetch(
            "SELECT station_id, count(*) AS n FROM vouchers WHERE campaign_id = $1 GROUP BY 1",
            cid,
        )
        found = {r["station_id"]: r["n"] for r in rows}
        return found if sum(found.values()) == 300 else None

    per_station = await wait_for(issued)
    assert per_station == {s["station_id"]: 30 for s in stations}
    await asyncio.to_thread(assert_reconciled, stack_env, "--campaign", cid)
