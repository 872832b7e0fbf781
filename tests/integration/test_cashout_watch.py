"""The cash-out watch on the real stack: a normal day with a store farming vouchers mixed
in (redeemed through the API, judged by the stream's watch), the case it opens with its
evidence, the hold on the merchant's settlement until the case is closed, thresholds ops
change, a redemption outside opening hours, and the watch rebuilt from the ledger."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from engine.domain.periods import UNION_TZ
from tests.helpers.api import assert_problem, issued_codes, pos, redeem, store_key
from tests.helpers.waiting import wait_for
from tests.integration.browser import browser

DEFAULTS = {
    "window_minutes": 10,
    "distinct_workers_per_store": 40,
    "opening": "07:00",
    "closing": "22:00",
    "merchants_per_terminal": 2,
    "stores_per_worker": 3,
    "round_spends_to_zero": 3,
    "reversed_percent": 50,
    "reversed_minimum": 10,
}
AROUND_THE_CLOCK = DEFAULTS | {"opening": "00:00", "closing": "00:00"}
NORMAL_STORES, PER_STORE, FARMED = 8, 12, 30


@pytest.fixture
async def thresholds(http, factory):
    """Set the watch's thresholds for one test; the defaults again after it."""

    async def put(body: dict) -> None:
        r = await http.put("/v1/ops/watch/thresholds", json=body, headers=factory.ops)
        assert r.status_code == 200, r.text
        assert r.json() == body

    yield put
    await put(DEFAULTS)


async def till(http, factory, name: str) -> tuple[str, str]:
    """A merchant with one store: its id and the store's key."""
    merchant, _ = await factory.merchant()
    return merchant, await store_key(http, factory, merchant, f"{name}-1")


async def cases_of(http, factory, merchant: str, status: str = "all") -> list[dict]:
    r = await http.get(
        "/v1/ops/cases", params={"merchant_id": merchant, "status": status}, headers=factory.ops
    )
    assert r.status_code == 200, r.text
    return r.json()["cases"]


async def seen(db, redemption_ids: list[str]) -> bool:
    n = await db.fetchval(
        "SELECT count(*) FROM watch_redemptions WHERE redemption_id = ANY($1)", redemption_ids
    )
    return n == len(redemption_ids)


def today() -> dict[str, str]:
    day = datetime.now(UTC).astimezone(UNION_TZ).date().isoformat()
    return {"from": day, "to": day}


async def settlement_hold(http, factory, merchant: str) -> dict:
    r = await http.get(f"/v1/merchants/{merchant}/settlements", params=today(), headers=factory.ops)
    assert r.status_code == 200, r.text
    return {k: r.json()[k] for k in ("held", "held_by_cases")}


@pytest.mark.usefixtures("issuing")
async def test_a_farming_store_is_found_in_a_normal_day_and_held_until_decided(
    http, factory, db, thresholds
):
    await thresholds(AROUND_THE_CLOCK | {"distinct_workers_per_store": 20})
    tills = [await till(http, factory, f"shop{i}") for i in range(NORMAL_STORES)]
    farm, farm_key = await till(http, factory, "farm")
    campaign = await factory.campaign(
        quota=NORMAL_STORES * PER_STORE + FARMED, merchants=[m for m, _ in tills] + [farm]
    )
    codes = await issued_codes(
        http, factory, db, campaign["id"], NORMAL_STORES * PER_STORE + FARMED
    )
    # The normal day: each worker redeems once, at one of the stores, by its own till;
    # the farm's redemptions are spread among them.
    normal = iter([(tills[i % NORMAL_STORES], f"t-{i % NORMAL_STORES}") for i in range(96)])
    farm_at = {k * len(codes) // FARMED for k in range(FARMED)}
    plan = [
        ((farm, farm_key), "t-farm") if i in farm_at else next(normal) for i in range(len(codes))
    ]
    redemptions: dict[str, list[str]] = {}
    for code, ((merchant, key), terminal) in zip(codes, plan, strict=True):
        r = await http.post(
            "/v1/redemptions", json={"code": code}, headers=pos(key, f"r-{code[-12:]}", terminal)
        )
        assert r.status_code == 201, r.text
        redemptions.setdefault(merchant, []).append(r.json()["redemption_id"])
    every = [i for ids in redemptions.values() for i in ids]
    assert await wait_for(lambda: seen(db, every), 60)

    async def farmed() -> list[dict] | None:
        found = await cases_of(http, factory, farm, "open")
        return found if found and found[0]["evidence_count"] == FARMED else None

    (case,) = await wait_for(farmed, 60)
    assert (case["rule"], case["subject"]) == ("many-workers-at-one-store", f"store:{farm}/farm-1")
    assert case["merchants"] == [farm] and case["hold"] is False
    for merchant, _ in tills:
        assert await cases_of(http, factory, merchant) == [], merchant

    r = await http.get(f"/v1/ops/cases/{case['case_id']}", headers=factory.ops)
    assert r.status_code == 200, r.text
    evidence = r.json()["evidence"]
    assert sorted(e["redemption_id"] for e in evidence) == sorted(redemptions[farm])
    assert len({e["worker_id"] for e in evidence}) == FARMED
    assert {(e["store_id"], e["terminal_id"], e["reversed"]) for e in evidence} == {
        ("farm-1", "t-farm", False)
    }

    # Held until decided: the farm's statement says so, the others' do not.
    assert await settlement_hold(http, factory, farm) == {"held": False, "held_by_cases": []}
    for _ in range(2):  # safe to repeat
        r = await http.post(f"/v1/ops/cases/{case['case_id']}/hold", headers=factory.ops)
        assert r.status_code == 200 and r.json()["hold"] is True, r.text
    held = {"held": True, "held_by_cases": [case["case_id"]]}
    assert await settlement_hold(http, factory, farm) == held
    assert await settlement_hold(http, factory, tills[0][0]) == {"held": False, "held_by_cases": []}
    r = await http.get(f"/v1/merchants/{farm}/settlements.csv", params=today(), headers=factory.ops)
    assert r.headers["X-Settlement-Held"] == case["case_id"]

    close = f"/v1/ops/cases/{case['case_id']}/close"
    body = {"decision": "confirmed", "note": "30 vouchers bought from workers for cash"}
    for _ in range(2):  # the same decision again answers the same
        r = await http.post(close, json=body, headers=factory.ops)
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["decision"], r.json()["hold"]) == (
            "closed",
            "confirmed",
            False,
        )
    assert_problem(
        await http.post(close, json={"decision": "cleared"}, headers=factory.ops),
        409,
        "case-closed",
    )
    assert_problem(
        await http.post(f"/v1/ops/cases/{case['case_id']}/hold", headers=factory.ops),
        409,
        "case-closed",
    )
    assert await settlement_hold(http, factory, farm) == {"held": False, "held_by_cases": []}

    r = await http.get("/v1/ops/audit", params={"target": case["case_id"]}, headers=factory.ops)
    assert [e["action"] for e in r.json()["entries"]] == ["cases.close", "cases.hold"]


async def test_thresholds_are_checked_strictly_and_audited(http, factory, thresholds):
    before = (await http.get("/v1/ops/watch/thresholds", headers=factory.ops)).json()
    for wrong in (
        DEFAULTS | {"distinct_workers_per_store": "25"},
        DEFAULTS | {"distinct_workers_per_store": 25.0},
        DEFAULTS | {"opening": "7:00"},
        DEFAULTS | {"closing": "24:00"},
        DEFAULTS | {"reversed_percent": 100},
        {k: v for k, v in DEFAULTS.items() if k != "window_minutes"},
        DEFAULTS | {"extra": 1},
    ):
        r = await http.put("/v1/ops/watch/thresholds", json=wrong, headers=factory.ops)
        assert_problem(r, 422)
    assert (await http.get("/v1/ops/watch/thresholds", headers=factory.ops)).json() == before
    await thresholds(DEFAULTS | {"window_minutes": 30})
    r = await http.get(
        "/v1/ops/audit", params={"action": "watch.thresholds", "limit": 1}, headers=factory.ops
    )
    (entry,) = r.json()["entries"]
    assert entry["after"]["window_minutes"] == 30 and entry["actor"].startswith("ops:")


@pytest.mark.usefixtures("issuing")
async def test_a_redemption_outside_opening_hours_opens_a_case_the_dashboard_decides(
    http, factory, db, thresholds, engine
):
    # Hours that exclude now, whenever the test runs: from two to four hours ahead.
    now = datetime.now(UTC).astimezone(UNION_TZ)
    opening, closing = ((now + timedelta(hours=h)).strftime("%H:%M") for h in (2, 4))
    await thresholds(DEFAULTS | {"opening": opening, "closing": closing})
    merchant, key = await till(http, factory, "late")
    campaign = await factory.campaign(quota=1, merchants=[merchant])
    (code,) = await issued_codes(http, factory, db, campaign["id"], 1)
    r = await redeem(http, key, code, "late-1")
    assert r.status_code == 201, r.text

    async def opened() -> list[dict] | None:
        return await cases_of(http, factory, merchant) or None

    (case,) = await wait_for(opened, 60)
    assert (case["rule"], case["evidence_count"]) == ("outside-opening-hours", 1)

    # The dashboard lists it among the open cases, holds it and clears it. Other tests'
    # cases are closed first so that this one is on the first page whatever ran before.
    r = await http.get("/v1/ops/cases", params={"limit": 500}, headers=factory.ops)
    for other in r.json()["cases"]:
        if other["case_id"] != case["case_id"]:
            body = {"decision": "cleared", "note": "another test's"}
            await http.post(
                f"/v1/ops/cases/{other['case_id']}/close", json=body, headers=factory.ops
            )
    token = factory.ops["Authorization"].removeprefix("Bearer ")
    async with browser() as b:
        page = await b.new_page(locale="zh-CN", timezone_id="UTC")
        await page.goto(f"{engine.base_url}/ops#token={token}")
        row = page.locator(f'#cases tr[data-case="{case["case_id"]}"]')
        await row.wait_for()
        assert await row.locator('td[data-field="rule"]').inner_text() == "非营业时间核销"
        assert await page.locator("#cases h2").inner_text() == "待审核案件（1）"
        await row.locator('button[data-act="hold"]').click()
        await row.locator("span.held").wait_for()
        assert await settlement_hold(http, factory, merchant) == {
            "held": True,
            "held_by_cases": [case["case_id"]],
        }
        await row.locator('button[data-act="cleared"]').click()
        await page.locator("#cases p.none").wait_for()
    r = await http.get(f"/v1/ops/cases/{case['case_id']}", headers=factory.ops)
    assert (r.json()["status"], r.json()["decision"], r.json()["hold"]) == (
        "closed",
        "cleared",
        False,
    )


@pytest.mark.usefixtures("issuing")
async def test_the_watch_is_rebuilt_from_the_ledger(http, factory, db, stack_env):
    merchant, key = await till(http, factory, "kept")
    campaign = await factory.campaign(quota=3, merchants=[merchant])
    ids = []
    for i, code in enumerate(await issued_codes(http, factory, db, campaign["id"], 3)):
        r = await redeem(http, key, code, f"kept-{i}")
        assert r.status_code == 201, r.text
        ids.append(r.json()["redemption_id"])
    assert await wait_for(lambda: seen(db, ids), 60)
    kept = await db.fetch(
        "SELECT * FROM watch_redemptions WHERE redemption_id = ANY($1) ORDER BY 1", ids
    )
    await wait_for(
        lambda: db.fetchval("SELECT count(*) = 3 FROM ledger WHERE entry_id = ANY($1)", ids), 60
    )
    await db.execute("DELETE FROM watch_redemptions WHERE redemption_id = ANY($1)", ids)
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "engine.cli.main", "watch", "rebuild", "--hours", "1"],
        env={**os.environ, **stack_env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    # At least these three (another test's redemptions may not have been seen yet).
    assert json.loads(done.stdout)["redemptions"] >= 3
    rebuilt = await db.fetch(
        "SELECT * FROM watch_redemptions WHERE redemption_id = ANY($1) ORDER BY 1", ids
    )
    assert [dict(r) for r in rebuilt] == [dict(r) for r in kept]
