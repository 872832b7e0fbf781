"""The cash-out watch over the in-memory engine: redemptions from the log kept once and
judged, a case opened and added to, held and closed, and what it keeps rebuilt from the
ledger."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import time

import pytest

from engine.domain.audit import Actor
from engine.domain.cases import Decision
from engine.domain.cashout import Thresholds
from engine.domain.watch import seen_redemption, seen_reversal
from engine.errors import CaseClosed, NotFound
from engine.events import VoucherRedeemed, VoucherReversed
from tests.helpers.memory import World

ALICE = Actor("ops:alice")
# The stepping clock's hours need not be a store's: open day and night here.
AROUND_THE_CLOCK = Thresholds(opening=time(0), closing=time(0))


async def redeemed_at_the_farm(w: World, workers: int) -> None:
    """`workers` workers' vouchers redeemed at one store, one reversed."""
    farm = await w.merchant("farm", "farm-1")
    c = await w.campaign(merchants=("farm",), quota=workers)
    claims = []
    for i in range(workers):
        answer = await w.engine.claims.claim(c.id, await w.worker(f"w{i}"), "k")
        claims.append((f"w{i}", answer.claim_id))
    await w.stream()
    store = await w.engine.merchant_keys.identify(farm)
    assert store is not None
    ids = []
    for worker, claim_id in claims:
        code = (await w.engine.claims.voucher(claim_id, await w.worker(worker))).code
        ids.append((await w.engine.redemptions.redeem(store, code, f"r-{worker}")).redemption_id)
    await w.engine.reversals.reverse(store, ids[0], "rev-1")
    await w.stream()


async def watched(w: World) -> int:
    """Hand the watch every redemption and reversal published, as the stream does."""
    redemptions = [seen_redemption(asdict(e)) for e in w.published(VoucherRedeemed)]
    reversals = [seen_reversal(asdict(e)) for e in w.published(VoucherReversed)]
    return await w.engine.watch.seen([s for s in redemptions if s], [r for r in reversals if r])


async def test_a_farming_store_opens_one_case_held_until_it_is_closed():
    w = World()
    watch = w.engine.watch
    await watch.set_thresholds(replace(AROUND_THE_CLOCK, distinct_workers_per_store=5), ALICE)
    await redeemed_at_the_farm(w, 6)
    assert await watched(w) >= 1
    assert await watched(w) >= 1  # redelivered: the same case, nothing added
    (case,) = await watch.cases("open", "farm", 10)
    assert (case["rule"], case["subject"], case["evidence_count"]) == (
        "many-workers-at-one-store",
        "store:farm/farm-1",
        6,
    )
    shown = await watch.case(case["case_id"])
    assert sorted(e["worker_id"] for e in shown["evidence"]) == [f"w{i}" for i in range(6)]
    assert sum(e["reversed"] for e in shown["evidence"]) == 1
    assert await watch.holds("farm") == []
    await watch.hold(case["case_id"], ALICE)
    await watch.hold(case["case_id"], ALICE)
    assert await watch.holds("farm") == [case["case_id"]]
    closed = await watch.close(case["case_id"], Decision.CLEARED, "a works canteen", ALICE)
    assert (closed["status"], closed["hold"], closed["closed_by"]) == ("closed", False, "ops:alice")
    assert await watch.holds("farm") == []
    with pytest.raises(CaseClosed):
        await watch.close(case["case_id"], Decision.CONFIRMED, None, ALICE)
    with pytest.raises(CaseClosed):
        await watch.hold(case["case_id"], ALICE)
    with pytest.raises(NotFound):
        await watch.case("case-none")
    actions = [e["action"] for e in await w.engine.operators.audit(case["case_id"], None, 10)]
    assert actions == ["cases.close", "cases.hold"]


async def test_below_the_thresholds_nothing_is_opened_and_a_rebuild_gives_back_the_same():
    w = World()
    await w.engine.watch.set_thresholds(AROUND_THE_CLOCK, ALICE)
    await redeemed_at_the_farm(w, 6)  # 6 workers: the default threshold is 40
    assert await watched(w) == 0
    assert await w.engine.watch.cases(None, None, 10) == []
    kept = dict(w.records.t.watch_seen)
    w.records.t.watch_seen.clear()
    w.records.t.watch_reversals.clear()
    since = min(r.at for r, _, _ in kept.values())
    assert await w.engine.watch.rebuild(since) == {"redemptions": 6, "reversals": 1}
    assert w.records.t.watch_seen == kept
    assert await w.engine.watch.rebuild(since) == {"redemptions": 0, "reversals": 0}
