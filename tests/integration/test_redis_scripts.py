"""The Lua decisions against the real Redis, through the adapter the engine uses.

When producing an event times out, the API releases its decision unless a stream
worker already took it; a late copy of a released decision is void. The stock the
admission script sees is the stock `engine.domain.stock` computes (one table of cases).
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from redis.exceptions import ResponseError

from engine.adapters.redis import Durability, NotReplicated, Redis, keys
from engine.domain.admission import AdmitRequest
from engine.domain.campaigns import Wave
from engine.domain.redemption import RedeemRequest
from engine.domain.settlement import Activation, Decision
from engine.domain.stock import available_now
from engine.errors import (
    AlreadyRedeemed,
    BackendDown,
    InvalidCode,
    LimitReached,
    NotEligible,
    RateLimited,
    SignatureNeeded,
    SoldOut,
)
from tests.factories import domain_campaign


@pytest.fixture
async def live(settings):
    r = Redis.from_settings(settings, 8)
    yield r
    await r.close()


async def new_campaign(live: Redis, quota: int = 5, **overrides) -> str:
    now = datetime.now(UTC)
    cid = f"lua-{uuid.uuid4().hex[:8]}"
    fields = {
        "id": cid,
        "quota": quota,
        "claim_closes_at": now + timedelta(hours=1),
        "valid_until": now + timedelta(days=1),
        "merchants": ("m1", "m2"),
        "number": 1,
    }
    await live.definitions.init_campaign(domain_campaign(**(fields | overrides)))
    return cid


def now_ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


def req(cid: str, claim_id: str, worker: str = "w1") -> AdmitRequest:
    return AdmitRequest(cid, claim_id, worker, "courier", now_ms(), 300)


def claim(cid: str, claim_id: str) -> Decision:
    return Decision("claim", cid, claim_id)


async def remaining(live: Redis, cid: str) -> int:
    counters = await live.figures.counters(cid)
    assert counters is not None
    return 5 - counters.admitted


async def test_release_after_take_keeps_the_claim(live):
    cid = await new_campaign(live)
    a = await live.admissions.admit(req(cid, "c1"))
    assert await live.settlement.take_many([(claim(cid, "c1"), a.serial)]) == ["taken"]
    assert await live.admissions.release_claim(req(cid, "c1"), a.serial) == "taken"
    assert await remaining(live, cid) == 4


async def test_release_before_take_voids_the_late_event(live):
    cid = await new_campaign(live)
    a = await live.admissions.admit(req(cid, "c1"))
    assert await live.admissions.release_claim(req(cid, "c1"), a.serial) == "released"
    assert await remaining(live, cid) == 5
    assert await live.settlement.take_many([(claim(cid, "c1"), a.serial)]) == ["released"]
    # The worker retries with the same key: a fresh admission with a new serial.
    b = await live.admissions.admit(req(cid, "c1"))
    assert b.is_new and b.serial != a.serial
    states = await live.settlement.take_many(
        [(claim(cid, "c1"), a.serial), (claim(cid, "c1"), b.serial)]
    )
    assert states == ["stale", "taken"]
    assert await remaining(live, cid) == 4


async def test_confirm_and_replayed_take(live):
    cid = await new_campaign(live)
    a = await live.admissions.admit(req(cid, "c1"))
    assert await live.settlement.confirm(claim(cid, "c1"), a.serial) == "acked"
    assert await live.settlement.take_many([(claim(cid, "c1"), a.serial)] * 2) == [
        "taken",
        "taken",
    ]
    assert await live.settlement.take_many([(claim(cid, "missing"), 1)]) == ["missing"]


async def test_replayed_activation_never_resets_a_redeemed_voucher(live):
    cid = await new_campaign(live)
    a = await live.admissions.admit(req(cid, "c1"))
    v = Activation(cid, "c1", a.serial, 300, 2**31)
    assert await live.settlement.activate_many([v]) == [1]
    first = await live.redemptions.redeem(RedeemRequest(cid, a.serial, "m1", "r1", now_ms()))
    assert first.is_new
    assert await live.settlement.activate_many([v]) == [0]
    with pytest.raises(AlreadyRedeemed):
        await live.redemptions.redeem(RedeemRequest(cid, a.serial, "m2", "r2", now_ms()))


async def test_an_online_redemption_compares_the_code_with_the_issued_one(live):
    cid = await new_campaign(live)
    a = await live.admissions.admit(req(cid, "c1"))
    issued, other = "a" * 32, "b" * 32
    await live.settlement.activate_many(
        [Activation(cid, "c1", a.serial, 300, 2**31, False, issued)]
    )
    wrong = RedeemRequest(cid, a.serial, "m1", "r1", now_ms(), code_digest=other)
    with pytest.raises(InvalidCode):
        await live.redemptions.redeem(wrong)
    state = await live.redemptions.voucher_state(cid, a.serial)
    assert state is not None and state.status == "issued"
    right = await live.redemptions.redeem(replace(wrong, code_digest=issued))
    assert right.is_new
    # A repeat with the wrong code learns nothing of the first answer.
    with pytest.raises(InvalidCode):
        await live.redemptions.redeem(wrong)


async def test_without_an_issued_digest_the_signature_decides(live):
    cid = await new_campaign(live)
    a = await live.admissions.admit(req(cid, "c1"))
    asked = RedeemRequest(cid, a.serial, "m1", "r1", now_ms(), code_digest="a" * 32)
    with pytest.raises(SignatureNeeded):  # not issued yet
        await live.redemptions.redeem(asked)
    # Rebuilt from PostgreSQL (no digest kept there): the caller verifies and asks without.
    await live.settlement.activate_many([Activation(cid, "c1", a.serial, 300, 2**31)])
    with pytest.raises(SignatureNeeded):
        await live.redemptions.redeem(asked)
    assert (await live.redemptions.redeem(replace(asked, code_digest=""))).is_new


async def test_released_redemption_frees_the_voucher(live):
    cid = await new_campaign(live)
    a = await live.admissions.admit(req(cid, "c1"))
    await live.settlement.activate_many([Activation(cid, "c1", a.serial, 300, 2**31)])
    await live.redemptions.redeem(RedeemRequest(cid, a.serial, "m1", "r1", now_ms()))
    assert await live.redemptions.release_redemption(cid, a.serial, "r1") == "released"
    redemption = Decision("redemption", cid, "r1")
    assert await live.settlement.take_many([(redemption, a.serial)]) == ["released"]
    again = await live.redemptions.redeem(RedeemRequest(cid, a.serial, "m2", "r2", now_ms()))
    assert again.is_new
    counters = await live.figures.counters(cid)
    assert counters is not None and counters.redeemed == 1


async def test_unsettled_decisions_come_back_as_decisions(live):
    cid = await new_campaign(live)
    await live.admissions.admit(req(cid, "c1"))
    found = await live.settlement.unsettled_before(cid, now_ms() + 1000)
    assert found == [claim(cid, "c1")]
    await live.settlement.forget_unsettled(claim(cid, "c1"))
    assert await live.settlement.unsettled_before(cid, now_ms() + 1000) == []
    assert keys.unsettled(cid).startswith("nx:{" + cid + "}")


# (quota, admitted before, reclaimed, rollover, waves as (minutes from now, quantity))
STOCK_CASES = [
    (5, 0, 0, False, ()),
    (5, 4, 0, False, ()),
    (5, 5, 0, False, ()),
    (5, 5, 2, False, ()),  # reclaimed stock counts only with rollover
    (5, 5, 2, True, ()),
    (6, 2, 0, False, ((-30, 2), (-10, 2), (30, 2))),  # the current wave's 2 are taken
    (6, 1, 0, False, ((-30, 2), (-10, 2), (30, 2))),
    (6, 4, 0, True, ((-30, 2), (-10, 2), (30, 2))),  # both released waves are gone
    (6, 4, 1, True, ((-30, 2), (-10, 2), (30, 2))),
    (6, 0, 0, False, ((30, 3), (60, 3))),  # nothing released yet
]


@pytest.mark.parametrize("quota,admitted,reclaimed,rollover,waves", STOCK_CASES)
async def test_admission_script_sees_the_stock_the_domain_computes(
    live, quota, admitted, reclaimed, rollover, waves
):
    """Drive admit.lua into each state by admitting, then compare its decision with
    engine.domain.stock.available_now for the same counters."""
    now = datetime.now(UTC)
    wave_list = tuple(Wave(now + timedelta(minutes=m), q) for m, q in waves)
    cid = await new_campaign(
        live,
        quota,
        per_worker_limit=1,
        waves=wave_list,
        rollover=rollover,
        claim_opens_at=now - timedelta(hours=2),
    )
    for i in range(admitted):
        await _admit_at(live, cid, f"before-{i}", wave_list, i)
    if reclaimed:
        await live.client.hincrby(keys.campaign(cid), "reclaimed", reclaimed)
    released = [w for w in wave_list if w.at <= now]
    current = released[-1].quantity if released else 0
    in_current = 0
    if released and not rollover:
        in_current = await live.figures.wave_admitted(cid, len(released))
    expected = available_now(
        quota=quota,
        admitted=admitted,
        reclaimed=reclaimed,
        rollover=rollover,
        waves=bool(wave_list),
        released=sum(w.quantity for w in released),
        current_wave_quantity=current,
        current_wave_admitted=in_current,
    )
    admitted_now = 0
    for i in range(expected + 1):
        try:
            await live.admissions.admit(req(cid, f"probe-{i}", f"probe-{i}"))
            admitted_now += 1
        except SoldOut:
            break
    assert admitted_now == expected


async def _admit_at(live: Redis, cid: str, claim_id: str, waves: tuple[Wave, ...], i: int) -> None:
    """Admit one claim; with waves, just after the latest wave released by now."""
    request = req(cid, claim_id, f"before-{i}")
    released = [w for w in waves if w.at <= datetime.now(UTC)]
    if released:
        request = replace(request, now_ms=int(released[-1].at.timestamp() * 1000) + 1000)
    await live.admissions.admit(request)


async def test_one_turns_admissions_go_together_and_each_caller_gets_its_own_answer(live):
    """Group commit: admits, a repeat, refusals and a sold-out in one pipeline."""
    cid = await new_campaign(live, quota=3)
    first = await live.admissions.admit(req(cid, "c0", "w0"))
    sent, replies = [], live.admissions.scripts.replies

    async def recorded(name, runs):
        sent.append((name, len(runs)))
        return await replies(name, runs)

    live.admissions.scripts.replies = recorded
    asked = [
        req(cid, "c0", "w0"),  # the repeat of the first claim: its first answer
        req(cid, "c1", "w1"),
        req(cid, "c2", "w2"),
        req(cid, "c3", "w1"),  # w1's second claim: over the per-worker limit
        req(cid, "c4", "w4"),  # the stock is gone by now
        replace(req(cid, "c5", "w5"), category="delivery_rider"),  # not eligible
    ]
    answers = await asyncio.gather(
        *(live.admissions.admit(a) for a in asked), return_exceptions=True
    )
    assert sent == [("admit", 6)]
    repeat, one, two, over_limit, sold_out, ineligible = answers
    assert not repeat.is_new and repeat.serial == first.serial
    assert one.is_new and two.is_new and {one.serial, two.serial} == {2, 3}
    assert isinstance(over_limit, LimitReached)
    assert isinstance(sold_out, SoldOut) and sold_out.stock.refuses_from_fen == 1
    assert isinstance(ineligible, NotEligible)
    counters = await live.figures.counters(cid)
    assert counters is not None and counters.admitted == 3


async def test_group_commit_reloads_a_script_redis_lost(live):
    cid = await new_campaign(live)
    await live.client.script_flush()
    answers = await asyncio.gather(
        *(live.admissions.admit(req(cid, f"c{i}", f"w{i}")) for i in range(3))
    )
    assert sorted(a.serial for a in answers) == [1, 2, 3]


async def test_a_run_whose_keys_span_slots_is_refused_as_a_cluster_would(live):
    """The test stacks check every run's slots (NUANXIN_REDIS_CHECK_SLOTS): the whole
    suite on one Redis fails where a Redis Cluster would answer CROSSSLOT."""
    assert live.admissions.scripts.durability.check_slots
    one, other = keys.campaign("c-one"), keys.campaign("c-other")
    with pytest.raises(ResponseError, match="CROSSSLOT"):
        await live.admissions.scripts.run("expire", [one, other], [])
    with pytest.raises(ResponseError, match="CROSSSLOT"):
        await live.admissions.scripts.run_many("expire", [([one, other], [])])


async def test_a_decision_no_replica_confirmed_is_not_answered_as_made(settings, live):
    """With NUANXIN_REDIS_WAIT_REPLICAS set, a decision counts only once a replica holds
    it: here there is none (the test stack's Redis has no replica, or the cluster run's
    masters none), so the admission is made on the master and refused to the caller."""
    waiting = Redis.connect(
        settings.redis_url.get_secret_value(),
        4,
        Durability(check_slots=True, wait_replicas=1, wait_timeout_ms=50),
    )
    try:
        cid = await new_campaign(live)
        # The adapter says "a service is down" (503 at the API) with Redis's reason.
        with pytest.raises(BackendDown) as admitting:
            await waiting.admissions.admit(req(cid, "c1", "w1"))
        assert isinstance(admitting.value.__cause__, NotReplicated)
        assert "0 of 1 replicas" in str(admitting.value.__cause__)
        with pytest.raises(BackendDown) as throttling:
            await waiting.throttles.rate("worker:w1", 60, 100)
        assert isinstance(throttling.value.__cause__, NotReplicated)
    finally:
        await waiting.close()
    # It was made on the master (the unsettled repair settles it like any unanswered one).
    record = await live.admissions.claim_record(cid, "c1")
    assert record.state == "pending"


async def test_only_refused_claims_count_against_the_request_rate(live):
    # A retry after a lost answer (or a run the adapter sent again) is the same request, and
    # an admission is bounded by the worker's limits: neither is counted, so an admitted
    # claim leaves no counter in Redis.
    cid = await new_campaign(live, per_worker_limit=1)
    limited = replace(req(cid, "c1"), rate_per_min=2)
    first = await live.admissions.admit(limited)
    repeats = [await live.admissions.admit(limited) for _ in range(10)]
    assert first.status == 1 and {r.status for r in repeats} == {2}
    assert await live.client.exists(keys.claim_rate(cid, limited.worker_id)) == 0
    for claim_id in ("c2", "c3"):  # over the worker's limit: refused, and counted
        with pytest.raises(LimitReached):
            await live.admissions.admit(replace(limited, claim_id=claim_id))
    with pytest.raises(RateLimited):  # a third refusal in the minute is one too many
        await live.admissions.admit(replace(limited, claim_id="c4"))


async def test_one_lost_log_sets_the_flag_once_whatever_topics_it_took(live, monkeypatch):
    """A loss found on several topics in one tick is one flag (a flag rewritten between
    topics outlived the re-drive that read it); only offsets seen before a fence was placed
    say it went back (an issuer's commit since may be past it on a sound log); a placer
    whose lock ran out registers nothing. Under a prefix of its own: the engine's marks
    are not touched."""
    monkeypatch.setattr(keys, "PREFIX", f"nx-test-{uuid.uuid4().hex[:8]}")
    marks = live.log_marks
    assert await marks.lock("placer", 30)
    first = {"a": [(0, 10, 1, 0), (1, 10, 1, 0)], "b": [(0, 5, 1, 0)], "c": [(0, 7, 1, 0)]}
    assert await marks.placed("placer", first, "t1") == []

    # The issuer committed past the next fence while it was being placed: not a loss.
    seen = await marks.seen_offsets("a")
    await marks.consumed("a", [(0, 30)])
    assert await marks.placed("placer", {"a": [(0, 20, 2, seen[0])]}, "t2") == []
    assert await marks.lost() is None
    assert await marks.seen_offsets("a") == {0: 30, 1: 10}

    assert await marks.placed("someone else", {"a": [(0, 1, 3, 0), (1, 1, 3, 0)]}, "t3") == []
    assert await marks.placed_offsets("a") == {0: 20, 1: 10}
    assert await marks.lost() is None

    went_back = {"a": [(0, 1, 4, 30), (1, 11, 4, 10)], "b": [(0, 6, 4, 5)], "c": [(0, 0, 4, 7)]}
    assert await marks.placed("placer", went_back, "t4") == ["a", "c"]
    assert await marks.lost() == "a, c: a fence's offset went back at t4"
    assert await marks.epoch() == 1
    assert await marks.placed_offsets("a") == {0: 1, 1: 11}
    await marks.redriven("a, c: a fence's offset went back at t4")
    assert await marks.lost() is None
