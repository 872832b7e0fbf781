"""What operations staff and the workers' register use, over the in-memory engine:
campaigns, figures, offers, workers and their tokens, operators, investigations, and the
guards in front of them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from engine.domain.audit import Actor
from engine.domain.campaigns import Status
from engine.domain.roles import Role, Staff
from engine.errors import (
    Conflict,
    NotEligible,
    NotFound,
    RateLimited,
    Unauthorized,
    ValidationFailed,
)
from engine.usecases.worker_tokens import WorkerTokens
from engine.usecases.workers import read_csv
from tests.helpers.memory import OPS, World


async def test_a_campaign_is_created_once_changed_from_its_version_and_audited():
    w = World()
    c = await w.campaign(quota=5)
    again, created = await w.engine.admin.create_campaign(replace(c, number=0, version=1), OPS)
    assert not created and again.id == c.id
    changed = await w.engine.admin.update_campaign(c.id, replace(c, quota=9), 1, OPS)
    assert changed.version == 2
    with pytest.raises(Conflict):  # the version read is stale now
        await w.engine.admin.update_campaign(c.id, replace(c, quota=8), 1, OPS)
    await w.engine.admin.set_status(c.id, Status.PAUSED, OPS)
    view = await w.engine.admin.campaign_view(c.id)
    assert (view["quota"], view["status"]) == (9, "paused")
    actions = [a["action"] for a in await w.engine.operators.audit(f"campaign:{c.id}", None, 10)]
    assert actions[0].startswith("campaign.") and len(actions) == 3


async def test_a_quota_cannot_go_below_what_is_admitted_nor_a_merchant_be_unknown():
    w = World()
    c = await w.campaign(quota=2)
    await w.engine.claims.claim(c.id, await w.worker("w1"), "k")
    await w.engine.claims.claim(c.id, await w.worker("w2"), "k")
    with pytest.raises(ValidationFailed):
        await w.engine.admin.update_campaign(c.id, replace(c, quota=1), 1, OPS)
    with pytest.raises(ValidationFailed):
        await w.campaign(merchants=("nobody",))


async def test_partner_codes_join_the_pool_once_and_are_handed_out_with_claims():
    w = World()
    c = await w.campaign(quota=5, partner_pool=True)
    counts = await w.engine.admin.import_partner_codes(c.id, ["P1", "P2", "P2"], OPS)
    assert counts == {"received": 3, "added": 2, "pool_left": 2}
    assert (await w.engine.admin.import_partner_codes(c.id, ["P1"], OPS))["added"] == 0
    await w.engine.claims.claim(c.id, await w.worker("w1"), "k")
    await w.stream()
    assert await w.store.figures.pool_size(c.id) == 1
    [voucher] = w.records.t.vouchers.values()
    assert voucher.partner_code in {"P1", "P2"}


async def test_figures_and_offers_follow_the_claims():
    w = World()
    c = await w.campaign(quota=3)
    who = await w.worker("w1")
    [offer] = await w.engine.offers.for_worker(who)
    assert offer["campaign_id"] == c.id and offer["available_now"] == 3
    await w.engine.claims.claim(c.id, who, "k")
    figures = await w.engine.stats.campaign(c.id)
    assert (figures["admitted"], figures["available_now"]) == (1, 2)
    await w.stream()
    w.clock.advance(2)  # past the offers' cache
    [offer] = await w.engine.offers.for_worker(who)
    assert offer["held"] == 1 and offer["available_now"] == 2
    overview = await w.engine.stats.overview()
    assert [x["campaign_id"] for x in overview["campaigns"]] == [c.id]


async def test_workers_are_imported_idempotently_and_bad_rows_are_reported():
    w = World()
    rows = read_csv(["id,category", "w1,courier", "w2,nonsense", "w3,truck_driver"])
    report = await w.engine.workers.import_rows(rows, OPS)
    again = await w.engine.workers.import_rows(read_csv(["id,category", "w1,courier"]), OPS)
    done = report.as_dict()
    assert (done["created"], done["rejected"], done["rejections"][0]["id"]) == (2, 1, "w2")
    assert again.as_dict()["unchanged"] == 1
    with pytest.raises(ValidationFailed):
        await w.engine.workers.register_many([("w4", {"category": "courier"}), ("w5", {})])
    assert await w.records.get_worker("w4") is None  # all or nothing


async def test_a_workers_tokens_verify_until_revoked_everywhere():
    w = World()
    await w.worker("w1")
    token, _ = await w.engine.tokens.mint("w1", OPS)
    now = w.clock.now().timestamp()
    assert w.engine.tokens.verify(token, now).worker_id == "w1"
    with pytest.raises(NotFound):
        await w.engine.tokens.mint("nobody", OPS)
    # Another API process over the same register and keys learns of it by refreshing.
    elsewhere = WorkerTokens(
        keys=w.engine.tokens.verified.keys, records=w.records, clock=w.clock, ttl_s=3600
    )
    assert elsewhere.verify(token, now).worker_id == "w1"
    w.clock.advance(1)
    await w.engine.tokens.revoke("w1", OPS)
    assert await elsewhere.refresh() == 1
    for tokens in (w.engine.tokens, elsewhere):
        with pytest.raises(Unauthorized):
            tokens.verify(token, now)


async def test_operators_are_named_by_their_token_until_revoked():
    w = World()
    made = await w.engine.operators.create(Staff("alice"), OPS)
    assert await w.engine.operators.staff_of(made["token"]) == Staff("alice")
    payer = await w.engine.operators.create(Staff("zhang", Role.PAYER, "didi"), OPS)
    assert await w.engine.operators.staff_of(payer["token"]) == Staff("zhang", Role.PAYER, "didi")
    listed = await w.engine.operators.credentials()
    assert sorted((c["name"], c["role"], c["payer_id"]) for c in listed) == [
        ("alice", "ops", None),
        ("zhang", "payer", "didi"),
    ]
    assert all("token" not in c for c in listed)
    await w.engine.operators.revoke(made["credential_id"], OPS)
    assert await w.engine.operators.staff_of(made["token"]) is None
    with pytest.raises(NotFound):
        await w.engine.operators.revoke(made["credential_id"], OPS)


async def test_an_investigation_reads_a_codes_history_and_revokes_it():
    w = World()
    await w.merchant("m1")
    c = await w.campaign(merchants=("m1",))
    answer = await w.engine.claims.claim(c.id, await w.worker("w1"), "k")
    await w.stream()
    code = w.records.t.vouchers[answer.claim_id].code
    history = await w.engine.investigations.code_history(code)
    assert history["voucher"]["worker_id"] == "w1"
    assert history["redis_state"]["status"] == "issued"
    await w.engine.investigations.revoke(code, "sold online", Actor("ops:bob"))
    history = await w.engine.investigations.code_history(code)
    assert history["voucher"]["revoked_reason"] == "sold online"
    assert history["redis_state"]["status"] == "revoked"
    worker = await w.engine.investigations.worker_history("w1")
    assert [v["claim_id"] for v in worker["vouchers"]] == [answer.claim_id]


async def test_guards_count_wrong_credentials_and_caller_rates():
    w = World(credential_failures_per_min=2)
    guard = w.engine.credential_guard
    await guard.failed("10.0.0.1")
    guard.check("10.0.0.1")  # one wrong credential is allowed
    await guard.failed("10.0.0.1")
    with pytest.raises(RateLimited):
        guard.check("10.0.0.1")
    guard.check("10.0.0.2")  # another address is not held back
    w.clock.advance(61)
    guard.check("10.0.0.1")  # the block ends with its window
    await w.engine.rates.count("ops:alice", 1)
    with pytest.raises(RateLimited):
        await w.engine.rates.count("ops:alice", 1)
    assert (await w.engine.health.check())["status"] == "ok"


async def test_the_campaign_cache_serves_until_its_time_and_profiles_come_from_the_register():
    w = World()
    c = await w.campaign(quota=3)
    assert (await w.engine.campaigns.get(c.id)).quota == 3
    w.records.t.campaigns[c.id] = replace(w.records.t.campaigns[c.id], quota=7)
    assert (await w.engine.campaigns.get(c.id)).quota == 3 and w.engine.campaigns.fresh(c.id)
    w.clock.advance(1.5)
    assert (await w.engine.campaigns.get(c.id)).quota == 7
    with pytest.raises(NotEligible):
        await w.engine.profiles.get("nobody")
    await w.worker("w1", "truck_driver")
    w.store.state.profiles.clear()  # the cache lost it: read from the register again
    assert (await w.engine.profiles.get("w1")).category == "truck_driver"
