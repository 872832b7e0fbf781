"""The claim and issuance use cases over the in-memory ports (tests/memory): the rules of
deciding, making durable and issuing, without Redis, PostgreSQL or a broker. The same
promises are tested on the real stack in tests/integration."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.domain.admission import AdmitRequest
from engine.domain.api_keys import MerchantIdentity, key_digest
from engine.domain.codes import verify_code
from engine.domain.keyring import new_keyring
from engine.domain.profiles import parse_profile
from engine.domain.settlement import Decision
from engine.domain.tokens import WorkerIdentity
from engine.errors import (
    IdempotencyKeyReused,
    LimitReached,
    NotEligible,
    RateLimited,
    SoldOut,
    Unavailable,
)
from engine.events import ClaimAdmitted
from engine.usecases.claims import Claims
from engine.usecases.issuance import Issuance
from engine.usecases.merchant_keys import MerchantKeys
from engine.usecases.read_caches import Campaigns, Profiles
from tests.factories import domain_campaign
from tests.memory import (
    MemoryKeyBindings,
    MemoryKeyCache,
    MemoryLive,
    MemoryLog,
    MemoryRecords,
    MemoryThrottle,
)


class FixedClock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


class World:
    """One campaign and the use cases over in-memory ports."""

    def __init__(self, **campaign: object) -> None:
        self.clock = FixedClock(datetime.now(UTC))
        self.live, self.log, self.records = MemoryLive(), MemoryLog(), MemoryRecords()
        self.campaign = domain_campaign(prefix="uc", at=self.clock.now(), number=3, **campaign)
        self.records.campaigns[self.campaign.id] = self.campaign
        self.keyring = new_keyring()
        self.bindings = MemoryKeyBindings(self.live)
        self.claims = Claims(
            admissions=self.live,
            bindings=self.bindings,
            settlement=self.live,
            throttle=MemoryThrottle(),
            publisher=self.log,
            records=self.records,
            vouchers=self.records,
            campaigns=Campaigns(self.records),
            profiles=Profiles(self.live, self.records),
            clock=self.clock,
            wait_s=0.1,
        )
        self.issuance = Issuance(settlement=self.live, vouchers=self.records, keyring=self.keyring)

    async def start(self) -> World:
        await self.live.init_campaign(self.campaign)
        return self

    async def claim(self, worker: str, key: str = "k", category: str = "courier") -> str:
        await self.live.cache_profiles([parse_profile(worker, {"category": category})])
        who = WorkerIdentity(worker)
        return (await self.claims.claim(self.campaign.id, who, key)).claim_id

    def published(self) -> list[ClaimAdmitted]:
        return [e for _, e in self.log.events if isinstance(e, ClaimAdmitted)]


async def test_an_admitted_claim_is_published_once_and_confirmed():
    w = await World(quota=2).start()
    first = await w.claim("w1")
    again = await w.claim("w1")  # the same Idempotency-Key: the first answer
    assert first == again
    (event,) = w.published()
    assert (event.claim_id, event.worker_id, event.serial) == (first, "w1", 1)
    assert w.live.confirmed_soon == [(Decision("claim", w.campaign.id, first), 1)]


async def test_a_claim_the_log_did_not_take_is_released_and_answered_unavailable():
    w = await World(quota=1).start()
    w.log.down = True
    with pytest.raises(Unavailable):
        await w.claim("w1")
    counters = await w.live.counters(w.campaign.id)
    assert counters is not None and counters.admitted == 0  # the unit went back
    w.log.down = False
    await w.claim("w2")  # so another worker gets it
    with pytest.raises(SoldOut):
        await w.claim("w3")


async def test_limits_hold_across_keys():
    w = await World(quota=5, per_worker_limit=1).start()
    await w.claim("w1", "a")
    with pytest.raises(LimitReached):
        await w.claim("w1", "b")
    assert len(w.published()) == 1


async def test_an_idempotency_key_answers_only_its_own_request():
    w = await World(quota=5, per_worker_limit=2, face_value_min_fen=100).start()
    second = domain_campaign(prefix="uc", at=w.clock.now(), number=4)
    w.records.campaigns[second.id] = second
    await w.live.init_campaign(second)
    first = await w.claim("w1", "a")
    with pytest.raises(IdempotencyKeyReused):  # the same key for another campaign
        await w.claims.claim(second.id, WorkerIdentity("w1"), "a")
    with pytest.raises(IdempotencyKeyReused):  # or another face value of the same one
        await w.claims.claim(w.campaign.id, WorkerIdentity("w1"), "a", face_value_fen=200)
    assert await w.claim("w1", "a") == first  # the same request again: its answer
    await w.live.cache_profiles([parse_profile("w2", {"category": "courier"})])
    await w.claims.claim(second.id, WorkerIdentity("w2"), "a")  # keys are their worker's
    assert [e.worker_id for e in w.published()] == ["w1", "w2"]


async def test_a_changed_profile_counts_at_the_next_claim():
    w = await World(quota=5, per_worker_limit=2).start()
    await w.claim("w1", "a")
    with pytest.raises(NotEligible):
        await w.claim("w1", "b", category="truck_driver")  # the token is the same


async def test_issuance_signs_each_admitted_claim_once_and_skips_void_ones():
    w = await World(quota=3).start()
    await w.claim("w1")
    (kept,) = w.published()
    # An API process admitted a second claim, its event reached the log, and the process
    # died before it heard back: the repair job released the claim, so the event is void.
    now_ms = int(w.clock.now().timestamp() * 1000)
    request = AdmitRequest(w.campaign.id, f"{w.campaign.id}.lost", "w2", "courier", now_ms, 300)
    lost = await w.live.admit(request)
    assert await w.live.release_claim(request, lost.serial) == "released"
    voided = ClaimAdmitted(
        claim_id=request.claim_id,
        campaign_id=w.campaign.id,
        campaign_number=3,
        serial=lost.serial,
        worker_id="w2",
        face_value_fen=300,
        valid_until=lost.valid_until,
        admitted_at_ms=0,
    )

    issued = await w.issuance.issue([kept, voided, kept])  # with a redelivered copy
    assert [e.claim_id for e in issued] == [kept.claim_id]
    payload = verify_code(w.records.vouchers[kept.claim_id].code, w.keyring.public_keys)
    assert (payload.campaign_number, payload.serial) == (3, kept.serial)
    assert voided.claim_id not in w.records.vouchers

    await w.issuance.issue([kept])  # a replay after a crash writes nothing new
    assert len(w.records.vouchers) == 1
    counters = await w.live.counters(w.campaign.id)
    assert counters is not None and (counters.admitted, counters.issued) == (1, 1)


class KeyRecords:
    """The merchant key register as PostgreSQL answers: who, or None once revoked."""

    def __init__(self) -> None:
        self.rows: dict[str, MerchantIdentity] = {}
        self.reads = 0

    async def merchant_by_api_key(self, api_key: str) -> MerchantIdentity | None:
        self.reads += 1
        return self.rows.get(api_key)


async def test_a_merchant_key_is_read_once_and_a_revocation_holds_at_once():
    records, cache = KeyRecords(), MemoryKeyCache()
    keys = MerchantKeys(cache=cache, records=records, ttl_s=60, requests_per_min=100)
    records.rows["nxm_a"] = MerchantIdentity("m1", "s1", "k-1")
    first = await keys.identify("nxm_a")
    assert first == MerchantIdentity("m1", "s1", "k-1")
    assert await keys.identify("nxm_a") == first and records.reads == 1
    assert await keys.identify("nxm_wrong") is None  # wrong keys are never cached
    await keys.identify("nxm_wrong")
    assert records.reads == 3
    await keys.revoked(key_digest("nxm_a"))  # the register still has the row: read before
    assert await keys.identify("nxm_a") is None


async def test_a_merchant_keys_requests_are_counted_from_its_first():
    records, cache = KeyRecords(), MemoryKeyCache()
    keys = MerchantKeys(cache=cache, records=records, ttl_s=60, requests_per_min=2)
    records.rows["nxm_a"] = MerchantIdentity("m1", None, "k-1")
    await keys.identify("nxm_a")  # read from the register, then counted
    await keys.identify("nxm_a")
    with pytest.raises(RateLimited) as refused:
        await keys.identify("nxm_a")
    assert refused.value.extra["retry_after_s"] == 60 and records.reads == 1
