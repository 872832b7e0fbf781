"""A lottery end to end: registration, commitment, draw, vouchers for winners, verify."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import timedelta

import pytest

from engine.domain.campaigns import Lottery, WorkerCategory
from engine.errors import Conflict, RegistrationRequired
from tests.factories import domain_campaign
from tests.helpers.inprocess import TEST_ACTOR, registered
from tests.helpers.waiting import sleep_until, wait_for


async def test_lottery_draw_issues_vouchers_and_verifies(clocked, http, db, tmp_path):
    services, clock = clocked
    t0 = clock.start
    campaign, _ = await services.admin.create_campaign(
        domain_campaign(
            "lottery",
            t0,
            quota=5,
            face_value_fen=20_000,
            claim_closes_at=t0 + timedelta(hours=1),
            eligible_categories=(WorkerCategory.DELIVERY_RIDER,),
            lottery=Lottery(draw_at=t0 + timedelta(hours=2)),
        ),
        TEST_ACTOR,
    )
    riders = await registered(services, 20, "delivery_rider")
    entries = {}
    for who in riders:
        entries[await services.lotteries.register(campaign.id, who)] = who.worker_id
        assert await services.lotteries.register(campaign.id, who) in entries  # idempotent
    with pytest.raises(RegistrationRequired):
        await services.claims.claim(campaign.id, riders[0], "k")
    with pytest.raises(Conflict):
        await services.lotteries.commit(campaign.id, TEST_ACTOR)  # registration still open

    clock.moment = t0 + timedelta(hours=1)
    committed = await services.lotteries.commit(campaign.id, TEST_ACTOR)
    assert committed["state"] == "committed" and committed["seed_hex"] is None
    # Salted entries are published, each worker can find theirs, and no worker id shows.
    assert sorted(committed["registrants"]) == sorted(entries)
    assert not any(who.worker_id in json.dumps(committed) for who in riders)
    with pytest.raises(Conflict):
        await services.lotteries.draw(campaign.id, TEST_ACTOR)  # before draw_at

    clock.moment = t0 + timedelta(hours=2)
    drawn = await services.lotteries.draw(campaign.id, TEST_ACTOR)
    again = await services.lotteries.draw(campaign.id, TEST_ACTOR)
    assert drawn["winners"] == again["winners"] and len(drawn["winners"]) == 5
    assert drawn["commitment"] == committed["commitment"]

    rows = await wait_for(lambda: _vouchers(db, campaign.id, 5))
    assert sorted(r["worker_id"] for r in rows) == sorted(entries[e] for e in drawn["winners"])
    assert not any(who.worker_id in json.dumps(drawn) for who in riders)

    published = (await http.get(f"/v1/campaigns/{campaign.id}/lottery")).json()
    assert published == drawn
    doc = tmp_path / "draw.json"
    doc.write_text(json.dumps(published))
    ok = await verify(doc)
    assert ok.returncode == 0, ok.stderr
    doc.write_text(json.dumps(published | {"winners": list(reversed(published["winners"]))}))
    bad = await verify(doc)
    assert bad.returncode == 1 and "other winners" in bad.stderr


async def verify(doc) -> subprocess.CompletedProcess:
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "engine.cli.main", "lottery", "verify", str(doc)],
        capture_output=True,
        text=True,
        check=False,
    )


async def _vouchers(db, campaign_id, n):
    rows = await db.fetch("SELECT worker_id FROM vouchers WHERE campaign_id = $1", campaign_id)
    assert len(rows) <= n
    return rows if len(rows) == n else None


async def test_cli_draw_shows_progress_and_is_audited(http, factory, db, engine):
    from datetime import UTC, datetime

    workers = await factory.workers(9)
    # Registration closes (and the draw may start) a generous while after the setup.
    now = datetime.now(UTC)
    closes = now + timedelta(seconds=4)
    campaign = await factory.campaign(
        quota=4,
        eligible_categories=["courier"],
        claim_closes_at=closes.isoformat(),
        valid_until=(now + timedelta(days=3)).isoformat(),
        lottery={"draw_at": closes.isoformat()},
    )
    for w in workers:
        r = await http.post(
            f"/v1/campaigns/{campaign['id']}/registrations",
            headers={"Authorization": f"Bearer {factory.token(w)}"},
        )
        assert r.status_code == 201, r.text
    await sleep_until(closes)
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "engine.cli.main", "lottery", "draw", campaign["id"]],
        env=engine.env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["winners"] == 4
    assert "admitting winners" in done.stderr and "4/4" in done.stderr
    rows = await wait_for(lambda: _vouchers(db, campaign["id"], 4))
    # Four different registrants won, each once.
    assert len({r["worker_id"] for r in rows}) == 4 and {r["worker_id"] for r in rows} <= set(
        workers
    )
    entries = await db.fetch(
        "SELECT actor FROM audit_log WHERE action = 'lottery.draw' AND target = $1",
        f"campaign:{campaign['id']}",
    )
    assert [e["actor"].startswith("cli:") for e in entries] == [True]
