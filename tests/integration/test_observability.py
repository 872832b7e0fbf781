"""Operations can see what happens: exact metrics, live rates and a run-out forecast."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta

import httpx
from prometheus_client.parser import text_string_to_metric_families

from engine.errors import SoldOut
from tests.factories import domain_campaign
from tests.helpers.api import issued_codes, pos, redeemable_code
from tests.helpers.inprocess import TEST_ACTOR, registered
from tests.helpers.waiting import wait_for


def samples(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                total += s.value
    return total


async def test_metrics_count_exactly_what_happened(http, factory, db, engine):
    merchant_id, api_key = await factory.merchant()
    _, other_key = await factory.merchant()
    campaign = await factory.campaign(quota=3, merchants=[merchant_id])
    cid = campaign["id"]
    workers = await factory.workers(5)
    admitted = []
    for w in workers:
        r = await http.post(f"/v1/campaigns/{cid}/claims", headers=factory.worker_headers(w, "a"))
        if r.status_code == 201:
            admitted.append((w, r.json()["claim_id"]))
    await http.post(f"/v1/campaigns/{cid}/claims", headers=factory.worker_headers(workers[0], "b"))
    codes = [await redeemable_code(http, factory, w, claim_id) for w, claim_id in admitted[:2]]
    await http.post("/v1/redemptions", json={"code": codes[0]}, headers=pos(api_key, "r1"))
    await http.post("/v1/redemptions", json={"code": codes[0]}, headers=pos(api_key, "r2"))
    r = await http.post("/v1/redemptions", json={"code": codes[1]}, headers=pos(other_key, "r3"))
    assert r.status_code == 403

    assert (await http.get("/metrics")).status_code == 401
    assert (await http.get("/metrics", headers=pos(api_key))).status_code == 401
    text = (await http.get("/metrics", headers=factory.ops)).text
    claims = "nuanxin_claims_total"
    assert samples(text, claims, campaign=cid, outcome="ok") == 3
    assert samples(text, claims, campaign=cid, outcome="sold-out") == 2
    assert samples(text, claims, campaign=cid, outcome="limit-reached") == 1
    redemptions = "nuanxin_redemptions_total"
    assert samples(text, redemptions, campaign=cid, outcome="ok") == 1
    assert samples(text, redemptions, campaign=cid, outcome="already-redeemed") == 1
    assert samples(text, redemptions, campaign=cid, outcome="forbidden") == 1
    route = "/v1/campaigns/{campaign_id}/claims"
    assert (
        samples(text, "nuanxin_http_request_duration_seconds_count", route=route, status="201") >= 3
    )
    assert samples(text, "nuanxin_redis_script_duration_seconds_count", script="admit") >= 6

    async def issued():
        async with httpx.AsyncClient() as client:
            text = (await client.get(engine.stream_metrics_url + "/metrics")).text
        return samples(text, "nuanxin_vouchers_issued_total", campaign=cid) == 3

    await wait_for(issued)


async def test_forecast_of_a_steady_drain_is_within_ten_percent(clocked):
    services, clock = clocked
    t0 = clock.start
    campaign, _ = await services.admin.create_campaign(
        domain_campaign("drain", t0, quota=700, budget_fen=700 * 300), TEST_ACTOR
    )

    async def drain(seconds: int, per_s: int) -> int:
        admitted = 0
        for who in await registered(services, seconds * per_s):
            clock.moment = clock.moment + timedelta(seconds=1 / per_s)
            try:
                await services.claims.claim(campaign.id, who, "k")
                admitted += 1
            except SoldOut:
                return admitted
        return admitted

    assert await drain(70, 5) == 350  # 5 claims a second for 70 seconds
    stats = await services.stats.campaign(campaign.id)
    assert stats["rates"]["admitted_per_s_last_minute"] == 5.0
    forecast = _parse(stats["forecast"]["stock_runs_out_at"])
    assert _parse(stats["forecast"]["budget_runs_out_at"]) == forecast
    started = clock.moment
    assert await drain(200, 5) == 350  # keep the same pace until it really runs out
    true_run_out = clock.moment - started
    predicted = forecast - started
    assert abs(predicted - true_run_out) <= 0.1 * true_run_out
    final = await services.stats.campaign(campaign.id)
    assert final["remaining"] == 0 and final["available_now"] == 0


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def test_ops_actions_are_audited_without_secrets(http, factory):
    named = await http.post(
        "/v1/ops/credentials", json={"name": "li.wei@union"}, headers=factory.ops
    )
    ops = {"Authorization": f"Bearer {named.json()['token']}"}
    r = await http.post(
        "/v1/merchants", json={"id": factory.unique("m"), "name": "Shop"}, headers=ops
    )
    merchant = r.json()
    campaign = (
        await http.post(
            "/v1/campaigns", json=factory.campaign_body(merchants=[merchant["id"]]), headers=ops
        )
    ).json()
    cid = campaign["id"]
    await http.post(f"/v1/campaigns/{cid}/status", json={"status": "paused"}, headers=ops)
    await http.patch(f"/v1/campaigns/{cid}", json={"version": 1, "name": "Renamed"}, headers=ops)
    rotated = await http.post("/v1/me/keys/rotate", headers=pos(merchant["api_key"]))
    assert rotated.status_code == 201

    entries = (
        await http.get("/v1/ops/audit", params={"target": f"campaign:{cid}"}, headers=factory.ops)
    ).json()["entries"]
    actions = [e["action"] for e in entries]
    assert actions == ["campaign.update", "campaign.status", "campaign.create"]
    status = entries[1]
    assert (status["actor"], status["before"], status["after"]) == (
        "ops:li.wei@union",
        {"status": "open"},
        {"status": "paused"},
    )
    assert (entries[0]["before"]["name"], entries[0]["after"]["name"]) == (
        "Test campaign",
        "Renamed",
    )

    mine = (
        await http.get(
            "/v1/ops/audit", params={"target": f"merchant:{merchant['id']}"}, headers=factory.ops
        )
    ).json()["entries"]
    assert [e["action"] for e in mine] == ["merchant.key_rotate", "merchant.create"]
    assert mine[0]["actor"] == f"merchant:{merchant['id']}"
    text = str(mine)
    assert merchant["api_key"] not in text and rotated.json()["api_key"] not in text

    for other in (
        pos(merchant["api_key"]),
        pos(rotated.json()["api_key"]),
        {"Authorization": f"Bearer {factory.token((await factory.workers(1))[0])}"},
    ):
        for url in ("/v1/ops/audit", f"/v1/ops/campaigns/{cid}/stats"):
            assert (await http.get(url, headers=other)).status_code == 401


async def test_a_request_id_follows_a_claim_and_a_redemption_into_the_database(http, factory, db):
    merchant_id, api_key = await factory.merchant()
    campaign = await factory.campaign(quota=1, merchants=[merchant_id])
    (worker,) = await factory.workers(1)
    trace = f"trace-{uuid.uuid4().hex[:12]}"
    r = await http.post(
        f"/v1/campaigns/{campaign['id']}/claims",
        headers=factory.worker_headers(worker, "k") | {"X-Request-ID": trace},
    )
    assert r.status_code == 201 and r.headers["x-request-id"] == trace
    code = await redeemable_code(http, factory, worker, r.json()["claim_id"])
    row = await db.fetchrow(
        "SELECT request_id FROM vouchers WHERE claim_id = $1", r.json()["claim_id"]
    )
    assert row["request_id"] == trace
    r = await http.post(
        "/v1/redemptions",
        json={"code": code},
        headers=pos(api_key, "k") | {"X-Request-ID": trace + "-pos"},
    )
    assert r.status_code == 201
    entry = await wait_for(
        lambda: db.fetchrow(
            "SELECT request_id FROM ledger WHERE entry_id = $1", r.json()["redemption_id"]
        )
    )
    assert entry["request_id"] == trace + "-pos"


async def test_stream_windows_equal_the_events_in_each_window(http, factory, db):
    merchant_id, api_key = await factory.merchant()
    campaign = await factory.campaign(quota=120, merchants=[merchant_id])
    cid = campaign["id"]
    workers = await factory.workers(120)
    claims = []
    for i, w in enumerate(workers):  # spread over a few seconds
        r = await http.post(f"/v1/campaigns/{cid}/claims", headers=factory.worker_headers(w, "k"))
        assert r.status_code == 201
        claims.append((w, r.json()["claim_id"]))
        if i % 30 == 29:
            await asyncio.sleep(1.0)
    rows = await wait_for(
        lambda: _all(db, "SELECT admitted_at, code FROM vouchers WHERE campaign_id = $1", cid, 120)
    )
    for w, claim_id in claims[:40]:
        code = await redeemable_code(http, factory, w, claim_id)
        r = await http.post(
            "/v1/redemptions", json={"code": code}, headers=pos(api_key, code[-12:])
        )
        assert r.status_code == 201
    ledger = await wait_for(
        lambda: _all(db, "SELECT occurred_at FROM ledger WHERE campaign_id = $1", cid, 40)
    )

    def per_window(moments, size: int) -> dict[str, int]:
        counts: dict[str, int] = {}
        for m in moments:
            start = str(int(m.timestamp() // size) * size)
            counts[start] = counts.get(start, 0) + 1
        return counts

    async def windows(kind: str, size: str) -> dict[str, int]:
        r = await http.get(
            f"/v1/ops/campaigns/{cid}/windows",
            params={"kind": kind, "size": size},
            headers=factory.ops,
        )
        return r.json()["windows"]

    expected_claims = per_window([r["admitted_at"] for r in rows], 1)
    assert len(expected_claims) >= 3
    await wait_for(lambda: _equal(windows("claims", "1s"), expected_claims))
    await wait_for(
        lambda: _equal(windows("claims", "1m"), per_window([r["admitted_at"] for r in rows], 60))
    )
    await wait_for(
        lambda: _equal(windows("redeemed", "1s"), per_window([r["occurred_at"] for r in ledger], 1))
    )
    issued = await wait_for(lambda: _total(windows("issued", "1m"), 120))
    assert issued == 120


async def test_windows_count_each_event_once_through_a_restart(http, factory, db, engine):
    """A burst (the API's producer puts many claims in each batch it sends), the windows
    worker SIGKILLed mid-way and started again: every event is counted once, as
    PostgreSQL's vouchers say, whatever the broker reports of its ends."""
    n = 1_000
    cid = (await factory.campaign(quota=n))["id"]
    workers = await factory.workers(n)
    sem, answered = asyncio.Semaphore(64), []

    async def claim(w: str) -> None:
        async with sem:
            r = await http.post(
                f"/v1/campaigns/{cid}/claims", headers=factory.worker_headers(w, "k")
            )
            assert r.status_code == 201, r.text
            answered.append(r)
            if len(answered) == n // 3:
                engine.windows.kill()  # mid-burst: nothing flushed, nothing committed
                engine.windows.wait(10)

    await asyncio.gather(*(claim(w) for w in workers))
    engine.start_windows()
    rows = await wait_for(
        lambda: _all(
            db, "SELECT admitted_at, issued_at FROM vouchers WHERE campaign_id = $1", cid, n
        )
    )
    expected: dict[str, int] = {}
    for r in rows:
        start = str(int(r["admitted_at"].timestamp()))
        expected[start] = expected.get(start, 0) + 1

    async def claims_per_second():
        q = {"kind": "claims", "size": "1s"}
        got = await http.get(f"/v1/ops/campaigns/{cid}/windows", params=q, headers=factory.ops)
        return got.json()["windows"]

    await wait_for(lambda: _equal(claims_per_second(), expected), timeout_s=90)
    issued = await http.get(
        f"/v1/ops/campaigns/{cid}/windows",
        params={"kind": "issued", "size": "1m"},
        headers=factory.ops,
    )
    assert sum(issued.json()["windows"].values()) == n


async def _all(db, sql: str, campaign_id: str, n: int):
    rows = await db.fetch(sql, campaign_id)
    return rows if len(rows) == n else None


async def _equal(shown, expected) -> bool:
    return (await shown) == expected


async def _total(shown, n: int):
    total = sum((await shown).values())
    return total if total == n else None


async def test_revoke_and_histories(http, factory, db):
    merchant_id, api_key = await factory.merchant()
    campaign = await factory.campaign(quota=2, merchants=[merchant_id])
    (code, other) = await issued_codes(http, factory, db, campaign["id"], 2)
    r = await http.post("/v1/redemptions", json={"code": other}, headers=pos(api_key, "o"))
    assert r.status_code == 201

    async def ledgered():
        doc = (
            await http.post("/v1/ops/codes/history", json={"code": other}, headers=factory.ops)
        ).json()
        return doc if doc["voucher"]["status"] == "redeemed" else None

    found = await wait_for(ledgered)
    assert len(found["ledger"]) == 1 and found["redis_state"]["status"] == "redeemed"
    worker_id = found["voucher"]["worker_id"]

    revoked = await http.post(
        "/v1/ops/vouchers/revoke",
        json={"code": code, "reason": "duplicate account"},
        headers=factory.ops,
    )
    assert revoked.status_code == 200, revoked.text
    again = await http.post(
        "/v1/ops/vouchers/revoke",
        json={"code": code, "reason": "duplicate account"},
        headers=factory.ops,
    )
    assert again.status_code == 200
    spent = await http.post(
        "/v1/ops/vouchers/revoke", json={"code": other, "reason": "too late"}, headers=factory.ops
    )
    assert spent.status_code == 409
    r = await http.post("/v1/redemptions", json={"code": code}, headers=pos(api_key, "r"))
    assert r.status_code == 410 and r.json()["type"].endswith("/revoked")

    history = (
        await http.post("/v1/ops/codes/history", json={"code": code}, headers=factory.ops)
    ).json()
    assert history["voucher"]["status"] == "revoked"
    assert history["voucher"]["revoked_reason"] == "duplicate account"
    worker = (await http.get(f"/v1/ops/workers/{worker_id}/history", headers=factory.ops)).json()
    assert [v["status"] for v in worker["vouchers"]] == ["redeemed"]
    entries = (
        await http.get("/v1/ops/audit", params={"action": "voucher.revoke"}, headers=factory.ops)
    ).json()["entries"]
    assert any(e["after"]["reason"] == "duplicate account" for e in entries)
    for url, body in (
        ("/v1/ops/vouchers/revoke", {"code": other, "reason": "x" * 5}),
        ("/v1/ops/codes/history", {"code": other}),
    ):
        assert (await http.post(url, json=body, headers=pos(api_key))).status_code == 401
