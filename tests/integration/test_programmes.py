"""Programme rules through the HTTP API: eligibility, money, limits, pools, lifecycle."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from engine.domain.campaigns import PeriodLimit
from engine.domain.periods import Period
from engine.errors import LimitReached
from tests.factories import domain_campaign
from tests.helpers.inprocess import TEST_ACTOR, registered
from tests.helpers.waiting import sleep_until, wait_for

RIDER = {"category": "delivery_rider"}


async def worker_with(http, factory, **profile) -> str:
    worker_id = factory.unique("w")
    body = {"id": worker_id, "category": "courier"} | profile
    r = await http.post("/v1/workers", json=body, headers=factory.ops)
    assert r.status_code == 201, r.text
    return worker_id


async def claim(http, factory, campaign_id, worker_id, key="k", body=None):
    return await http.post(
        f"/v1/campaigns/{campaign_id}/claims",
        json=body,
        headers=factory.worker_headers(worker_id, key),
    )


@pytest.mark.parametrize(
    "rule,eligible,ineligible",
    [
        (
            {"field": "hukou_city", "op": "ne", "value": "Suzhou"},
            {"hukou_city": "Fuyang"},
            {"hukou_city": "Suzhou"},
        ),
        (
            {"field": "origin_city", "op": "in", "value": ["Xinyang", "Fuyang", "Suqian"]},
            {"origin_city": "Suqian"},
            {"origin_city": "Nanjing"},
        ),
        (
            {"field": "first_job_in_city", "op": "eq", "value": True},
            {"first_job_in_city": True},
            {"first_job_in_city": False},
        ),
        (
            {"field": "contract_months", "op": "gte", "value": 12},
            {"contract_months": 12},
            {"contract_months": 11},
        ),
        (
            {"field": "social_insurance_months", "op": "gte", "value": 3},
            {"social_insurance_months": 5},
            {"social_insurance_months": 2},
        ),
        ({"field": "hardship", "op": "eq", "value": True}, {"hardship": True}, {"hardship": False}),
        (
            {"field": "registered_on", "op": "lte", "value": "2025-01-01"},
            {"registered_on": "2024-06-30"},
            {"registered_on": "2025-01-02"},
        ),
        (
            {"field": "staying_for_festival", "op": "eq", "value": True},
            {"staying_for_festival": True},
            {},
        ),
    ],
)
async def test_each_rule_kind(http, factory, rule, eligible, ineligible):
    campaign = await factory.campaign(quota=10, rules=[rule])
    yes = await worker_with(http, factory, **eligible)
    no = await worker_with(http, factory, **ineligible)
    assert (await claim(http, factory, campaign["id"], yes)).status_code == 201
    r = await claim(http, factory, campaign["id"], no)
    assert r.status_code == 403, r.text
    body = r.json()
    assert body["type"].endswith("/not-eligible")
    assert body["failed_rule"]["field"] == rule["field"]
    assert rule["field"] in body["detail"]


async def test_category_refusal_names_the_rule(http, factory):
    campaign = await factory.campaign(eligible_categories=["ride_hailing_driver"])
    worker = await worker_with(http, factory)
    r = await claim(http, factory, campaign["id"], worker)
    assert r.status_code == 403 and r.json()["failed_rule"] == "category"


async def test_invalid_rules_are_refused_at_creation(http, factory):
    for rule in (
        {"field": "shoe_size", "op": "eq", "value": 42},
        {"field": "hardship", "op": "gte", "value": True},
        {"field": "contract_months", "op": "gte", "value": "long"},
    ):
        r = await http.post(
            "/v1/campaigns", json=factory.campaign_body(rules=[rule]), headers=factory.ops
        )
        assert r.status_code == 422, r.text


async def test_budget_is_never_exceeded_under_2000_concurrent_claims(http, factory):
    low, high = 5_000, 11_000  # "average 80 yuan"
    budget = 500 * 8_000
    campaign = await factory.campaign(
        quota=2_000,
        face_value_fen=8_000,
        face_value_min_fen=low,
        face_value_max_fen=high,
        budget_fen=budget,
    )
    workers = await factory.workers(2_000)
    rng = random.Random(80)
    values = {w: rng.randint(low, high) for w in workers}
    sem = asyncio.Semaphore(200)

    async def one(w):
        async with sem:
            r = await claim(http, factory, campaign["id"], w, body={"face_value_fen": values[w]})
            return w, r.status_code

    results = await asyncio.gather(*(one(w) for w in workers))
    admitted = [values[w] for w, s in results if s == 201]
    refused = [values[w] for w, s in results if s == 410]
    assert len(admitted) + len(refused) == 2_000
    assert sum(admitted) <= budget
    left = budget - sum(admitted)
    # Spending only grows, so each refusal asked for more than what is left at the end.
    assert left < min(refused)
    view = (await http.get(f"/v1/campaigns/{campaign['id']}", headers=factory.ops)).json()
    assert view["budget_used_fen"] == sum(admitted) and view["budget_left_fen"] == left


async def test_face_value_outside_the_range_is_refused(http, factory):
    campaign = await factory.campaign(
        face_value_fen=8_000, face_value_min_fen=5_000, face_value_max_fen=11_000
    )
    worker = await worker_with(http, factory)
    r = await claim(http, factory, campaign["id"], worker, body={"face_value_fen": 20_000})
    assert r.status_code == 422 and r.json()["type"].endswith("/validation-error")
    view = (await http.get(f"/v1/campaigns/{campaign['id']}", headers=factory.ops)).json()
    assert view["admitted"] == 0


async def test_a_repeated_claim_with_another_face_value_is_refused(http, factory):
    campaign = await factory.campaign(
        face_value_fen=8_000, face_value_min_fen=5_000, face_value_max_fen=11_000, quota=5
    )
    worker = await worker_with(http, factory)
    first = await claim(http, factory, campaign["id"], worker, body={"face_value_fen": 6_000})
    assert first.status_code == 201, first.text
    same = await claim(http, factory, campaign["id"], worker, body={"face_value_fen": 6_000})
    assert same.status_code == 201 and same.json() == first.json()
    other = await claim(http, factory, campaign["id"], worker, body={"face_value_fen": 9_000})
    assert other.status_code == 422
    assert other.json()["type"].endswith("/idempotency-key-reused")
    view = (await http.get(f"/v1/campaigns/{campaign['id']}", headers=factory.ops)).json()
    assert (view["admitted"], view["budget_used_fen"]) == (1, 6_000)


async def test_pool_of_300_codes_under_1000_concurrent_claims(http, factory, db):
    campaign = await factory.campaign(quota=1_000, partner_pool=True)
    codes = [f"DATA-{i:05d}-{factory.unique('x')}" for i in range(300)]
    r = await http.post(
        f"/v1/campaigns/{campaign['id']}/pool/bulk", json={"codes": codes}, headers=factory.ops
    )
    assert r.status_code == 200 and r.json()["added"] == 300, r.text
    again = await http.post(
        f"/v1/campaigns/{campaign['id']}/pool/bulk", json={"codes": codes[:10]}, headers=factory.ops
    )
    assert again.json()["added"] == 0
    workers = await factory.workers(1_000)
    statuses = Counter(
        r.status_code
        for r in await asyncio.gather(*(claim(http, factory, campaign["id"], w) for w in workers))
    )
    assert statuses == {201: 300, 410: 700}
    rows = await wait_for(lambda: _exactly(db, campaign["id"], 300))
    handed_out = [r["partner_code"] for r in rows]
    assert len(set(handed_out)) == 300 and set(handed_out) == set(codes)


async def _exactly(db, campaign_id, n):
    rows = await db.fetch("SELECT partner_code FROM vouchers WHERE campaign_id = $1", campaign_id)
    assert len(rows) <= n
    return rows if len(rows) == n else None


async def test_cross_campaign_cap_holds_under_concurrency(http, factory):
    group = await factory.cap_group(20_000)
    campaigns = [
        await factory.campaign(quota=100, per_worker_limit=5, face_value_fen=v, cap_group=group)
        for v in (3_000, 5_000, 8_000)
    ]
    workers = await factory.workers(20)
    calls = [(w, c, k) for w in workers for c in campaigns for k in range(5)]
    random.Random(1).shuffle(calls)
    results = await asyncio.gather(
        *(claim(http, factory, c["id"], w, key=f"{c['id']}-{k}") for w, c, k in calls)
    )
    spent: Counter = Counter()
    for (w, c, _), r in zip(calls, results, strict=True):
        assert r.status_code in (201, 409), r.text
        if r.status_code == 201:
            spent[w] += c["face_value_fen"]
    assert spent and max(spent.values()) <= 20_000
    # Each worker got as close to the cap as the values allow (no leaked reservations).
    assert all(20_000 - s < 3_000 for s in spent.values())


async def test_period_limit(clocked):
    """On a clock pinned to noon in Shanghai: the day cannot turn in the middle."""
    services, clock = clocked
    campaign, _ = await services.admin.create_campaign(
        domain_campaign(
            "period",
            clock.start,
            per_worker_limit=10,
            period_limit=PeriodLimit(Period.DAY, 2),
            valid_until=clock.start + timedelta(days=30),
            claim_closes_at=clock.start + timedelta(days=3),
        ),
        TEST_ACTOR,
    )
    (who,) = await registered(services)

    async def outcome(key: str) -> str:
        try:
            await services.claims.claim(campaign.id, who, key)
        except LimitReached:
            return "limit"
        return "admitted"

    assert [await outcome(f"d{i}") for i in range(4)] == ["admitted"] * 2 + ["limit"] * 2
    clock.moment = clock.start + timedelta(days=1)  # the next day in Shanghai
    assert [await outcome(f"e{i}") for i in range(3)] == ["admitted"] * 2 + ["limit"]


async def test_pause_stops_claims_at_once_and_resume_restores(http, factory):
    campaign = await factory.campaign(quota=10)
    cid = campaign["id"]
    worker = await worker_with(http, factory)
    r = await http.post(
        f"/v1/campaigns/{cid}/status", json={"status": "paused"}, headers=factory.ops
    )
    assert r.status_code == 200 and r.json()["status"] == "paused"
    r = await claim(http, factory, cid, worker)
    assert r.status_code == 403 and r.json()["type"].endswith("/claim-window-closed")
    r = await http.post(f"/v1/campaigns/{cid}/status", json={"status": "open"}, headers=factory.ops)
    assert r.status_code == 200
    assert (await claim(http, factory, cid, worker)).status_code == 201
    r = await http.post(
        f"/v1/campaigns/{cid}/status", json={"status": "closed"}, headers=factory.ops
    )
    assert r.status_code == 200
    r = await http.post(f"/v1/campaigns/{cid}/status", json={"status": "open"}, headers=factory.ops)
    assert r.status_code == 409 and r.json()["type"].endswith("/conflict")


async def test_draft_campaign_takes_no_claims(http, factory):
    campaign = await factory.campaign(status="draft")
    worker = await worker_with(http, factory)
    assert (await claim(http, factory, campaign["id"], worker)).status_code == 403


async def test_new_version_does_not_alter_issued_vouchers(http, factory, db):
    campaign = await factory.campaign(quota=10, per_worker_limit=2, face_value_fen=300)
    cid = campaign["id"]
    worker = await worker_with(http, factory)
    assert (await claim(http, factory, cid, worker, key="v1")).status_code == 201
    # Every API process reads a definition at most a second old (read_caches.Campaigns).
    cached_until = datetime.now(UTC) + timedelta(seconds=1)
    r = await http.patch(
        f"/v1/campaigns/{cid}", json={"version": 1, "face_value_fen": 500}, headers=factory.ops
    )
    assert r.status_code == 200, r.text
    assert (r.json()["version"], r.json()["face_value_fen"]) == (2, 500)
    stale = await http.patch(
        f"/v1/campaigns/{cid}", json={"version": 1, "name": "x"}, headers=factory.ops
    )
    assert stale.status_code == 409
    bad = await http.patch(
        f"/v1/campaigns/{cid}", json={"version": 2, "number": 7}, headers=factory.ops
    )
    assert bad.status_code == 422
    await sleep_until(cached_until)
    assert (await claim(http, factory, cid, worker, key="v2")).status_code == 201
    rows = await wait_for(lambda: _vouchers(db, cid, 2))
    assert sorted((r["face_value_fen"], r["campaign_version"]) for r in rows) == [
        (300, 1),
        (500, 2),
    ]
    versions = await db.fetch("SELECT version FROM campaign_versions WHERE campaign_id = $1", cid)
    assert sorted(v["version"] for v in versions) == [1, 2]


async def _vouchers(db, campaign_id, n):
    rows = await db.fetch("SELECT * FROM vouchers WHERE campaign_id = $1", campaign_id)
    return rows if len(rows) == n else None
