"""What recovers the engine, over the in-memory engine: the log watch and the repair
(nothing released by a clock), the re-drive of a lost log, the rebuild of a lost decision
store, expiry, the ledger's idempotence, and lotteries."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.domain.admission import AdmitRequest
from engine.domain.campaigns import Campaign, Lottery
from engine.domain.clock import to_ms
from engine.domain.ledger import first_break
from engine.domain.settlement import Decision
from engine.domain.tokens import WorkerIdentity
from engine.errors import AlreadyRedeemed, Conflict, LimitReached, RegistrationRequired
from engine.events import ClaimAdmitted, VoucherRedeemed
from engine.usecases.expiry import expire_due
from engine.usecases.log_watch import TOPICS
from tests.helpers.memory import OPS, World


async def pass_fences(w: World, at_ms: int) -> None:
    """Every consumer applied everything before the fences placed at `at_ms`."""
    for topic in TOPICS.values():
        partitions = await w.log.partitions(topic)
        await w.store.log_marks.passed(topic, [(p, at_ms) for p in partitions])


async def test_an_abandoned_claim_is_released_only_once_the_fences_prove_it_never_logged():
    w = World(unsettled_after_s=10)
    c = await w.campaign(quota=1)
    # An API process admitted a claim and died before publishing its event.
    now_ms = to_ms(w.clock.now())
    request = AdmitRequest(c.id, f"{c.id}.lost", "w1", "courier", now_ms, 300)
    await w.store.admissions.admit(request)
    w.clock.advance(3600)  # however long it waits, no fence was passed: nothing is released
    placed_ms = to_ms(w.clock.now())
    cutoffs = await w.engine.log_watch.tick(placed_ms)
    assert set(cutoffs.values()) == {-1}
    assert not await w.engine.repair.release_abandoned(cutoffs, -1)
    assert (await w.store.admissions.claim_record(c.id, request.claim_id)).state == "pending"

    await pass_fences(w, placed_ms)
    w.clock.advance(1)
    cutoffs = await w.engine.log_watch.tick(to_ms(w.clock.now()))
    assert cutoffs["claim"] == placed_ms - 10_000
    released = await w.engine.repair.release_abandoned(cutoffs, -1)
    assert sum(released.values()) == 1
    record = await w.store.admissions.claim_record(c.id, request.claim_id)
    assert record.state == "released"
    await w.engine.claims.claim(c.id, await w.worker("w2"), "k")  # the unit is back


async def test_a_lost_log_is_found_by_its_fences_and_its_decisions_sent_again():
    w = World(unsettled_after_s=10)
    c = await w.campaign(quota=5, merchants=())
    first = await w.engine.claims.claim(c.id, await w.worker("w1"), "k")
    await w.engine.log_watch.tick(to_ms(w.clock.now()))  # fences after the claim's event
    w.log.lose()  # the broker restarted empty: the event is gone, the issuer never saw it
    w.clock.advance(5)
    await w.engine.log_watch.tick(to_ms(w.clock.now()))
    assert await w.store.log_marks.lost() is None  # found, re-driven, cleared
    assert await w.store.log_marks.epoch() == 1
    again = [e for e in w.published(ClaimAdmitted) if e.claim_id == first.claim_id]
    assert len(again) == 2  # the original and the one sent again
    logged = [v for _, _, v in await w.log.read(ClaimAdmitted.name) if first.claim_id.encode() in v]
    assert len(logged) == 1  # the log holds it again
    await w.stream()
    assert first.claim_id in w.records.t.vouchers


async def test_a_lost_decision_store_is_rebuilt_from_the_records_and_the_log():
    w = World()
    await w.merchant("m1")
    c = await w.campaign(quota=3, merchants=("m1",))
    who = await w.worker("w1")
    answer = await w.engine.claims.claim(c.id, who, "k")
    await w.stream()
    voucher = await w.engine.claims.voucher(answer.claim_id, who)
    w.store.lose()
    w.engine.reconciler.issuer_quiet_s = 0
    w.engine.reconciler.log = lambda line: None
    report = await w.engine.reconciler.reconcile(repair=True, by=OPS)
    assert report.rebuilt == [c.id] and report.differences == []
    with pytest.raises(LimitReached):  # the worker's claim is counted again
        await w.engine.claims.claim(c.id, who, "k2")
    state = await w.store.redemptions.voucher_state(c.id, voucher.serial)
    assert state is not None and state.status == "issued"
    check = await w.engine.reconciler.reconcile(repair=False, by=OPS)
    assert check.differences == []


async def test_vouchers_past_their_date_expire_once_and_their_stock_is_reclaimed():
    w = World()
    c = await w.campaign(quota=2, valid_until=w.clock.now() + timedelta(days=1))
    await w.engine.claims.claim(c.id, await w.worker("w1"), "k")
    await w.stream()
    later = w.clock.now() + timedelta(days=2)
    assert await expire_due(w.store.definitions, w.records, later) == 1
    assert await expire_due(w.store.definitions, w.records, later) == 0
    counters = await w.store.figures.counters(c.id)
    assert counters is not None and (counters.expired, counters.reclaimed) == (1, 1)


async def test_the_ledger_records_each_redemption_once_and_its_chain_holds():
    w = World()
    api_key = await w.merchant("m1")
    who = await w.engine.merchant_keys.identify(api_key)
    assert who is not None
    c = await w.campaign(quota=3, merchants=("m1",))
    claims = [await w.engine.claims.claim(c.id, await w.worker(x), "k") for x in ("w1", "w2")]
    await w.stream()
    codes = [w.records.t.vouchers[answer.claim_id].code for answer in claims]
    for n, code in enumerate(codes):
        await w.engine.redemptions.redeem(who, code, f"r-{n}")
    events = w.published(VoucherRedeemed)
    assert sorted(await w.engine.ledger.record(events)) == sorted(e.redemption_id for e in events)
    assert await w.engine.ledger.record(events) == []  # a redelivery records nothing
    chain = await w.records.ledger_chain("m1")
    assert [link.seq for link in chain] == [1, 2] and first_break(chain) is None
    for e in events:  # taken by the ledger: no repair may release them now
        record = await w.store.settlement.record(Decision("redemption", c.id, e.redemption_id))
        assert record.state == "taken"
    with pytest.raises(AlreadyRedeemed):
        await w.engine.redemptions.redeem(who, codes[0], "r-again")


async def lottery_world(quota: int, riders: int) -> tuple[World, Campaign, list[WorkerIdentity]]:
    """A lottery whose registration closes in an hour and draws an hour later; riders."""
    w = World()
    t0 = w.clock.now()
    c = await w.campaign(
        quota=quota,
        claim_closes_at=t0 + timedelta(hours=1),
        lottery=Lottery(draw_at=t0 + timedelta(hours=2)),
    )
    return w, c, [await w.worker(f"w{i}") for i in range(riders)]


async def test_a_lottery_registers_commits_draws_and_admits_its_winners():
    w, c, riders = await lottery_world(quota=2, riders=5)
    entries = {await w.engine.lotteries.register(c.id, who): who.worker_id for who in riders}
    with pytest.raises(RegistrationRequired):
        await w.engine.claims.claim(c.id, riders[0], "k")
    with pytest.raises(Conflict):
        await w.engine.lotteries.commit(c.id, OPS)  # registration still open
    w.clock.advance(3600)
    committed = await w.engine.lotteries.commit(c.id, OPS)
    assert sorted(committed["registrants"]) == sorted(entries)
    with pytest.raises(Conflict):
        await w.engine.lotteries.draw(c.id, OPS)  # before draw_at
    w.clock.advance(3600)
    drawn = await w.engine.lotteries.draw(c.id, OPS)
    assert drawn == await w.engine.lotteries.draw(c.id, OPS) and len(drawn["winners"]) == 2
    assert await w.engine.lotteries.published(c.id) == drawn
    winners = sorted(entries[e] for e in drawn["winners"])
    assert sorted(e.worker_id for e in w.published(ClaimAdmitted)) == winners


async def test_the_worker_page_shows_a_lottery_entered_and_then_its_result():
    w, c, riders = await lottery_world(quota=1, riders=3)

    async def standing(who: WorkerIdentity) -> dict[str, object]:
        [shown] = [p for p in await w.engine.offers.for_worker(who) if p["campaign_id"] == c.id]
        return shown["lottery"]

    assert (await standing(riders[0]))["registered"] is False
    for who in riders[:2]:
        await w.engine.lotteries.register(c.id, who)
    seen = await standing(riders[0])
    assert (seen["state"], seen["registered"], seen["won"]) == ("registering", True, None)
    w.clock.advance(3600)
    await w.engine.lotteries.commit(c.id, OPS)
    w.clock.advance(3600)
    w.engine.offers.ttl_s = 0  # the page's live figures are read again
    drawn = await w.engine.lotteries.draw(c.id, OPS)
    results = [await standing(who) for who in riders]
    assert [r["state"] for r in results] == ["drawn"] * 3
    assert sorted(r["won"] is True for r in results[:2]) == [False, True]  # one unit, one winner
    assert results[2]["won"] is None  # never entered
    assert len(drawn["winners"]) == 1
