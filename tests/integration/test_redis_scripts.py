"""The Lua decisions that settle a late broker answer, against the real Redis.

When producing an event times out, the API releases its decision unless a
stream worker already took it; a late copy of a released decision is void.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from engine import keys
from engine.adapters import redis_store
from engine.adapters.redis_store import Activation, AdmitRequest, RedeemRequest, RedisStore
from engine.domain.admission import interpret_admission
from engine.domain.redemption import interpret_redemption
from engine.errors import AlreadyRedeemed
from tests.factories import domain_campaign


@pytest.fixture
async def store(settings):
    s = RedisStore(redis_store.connect(settings.redis_url.get_secret_value(), 8))
    yield s
    await s.close()


async def new_campaign(store: RedisStore, quota: int = 5) -> str:
    now = datetime.now(UTC)
    cid = f"lua-{uuid.uuid4().hex[:8]}"
    await store.init_campaign(
        domain_campaign(
            id=cid,
            quota=quota,
            claim_closes_at=now + timedelta(hours=1),
            valid_until=now + timedelta(days=1),
            merchants=("m1", "m2"),
            number=1,
        )
    )
    return cid


def now_ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


def req(cid: str, claim_id: str) -> AdmitRequest:
    return AdmitRequest(cid, claim_id, "w1", "courier", now_ms(), 300)


async def remaining(store: RedisStore, cid: str) -> int:
    return 5 - (await store.campaign_counters(cid))["admitted"]


async def test_release_after_take_keeps_the_claim(store):
    cid = await new_campaign(store)
    a = interpret_admission(await store.admit(req(cid, "c1")))
    assert await store.take_many([(keys.claim(cid, "c1"), a.serial)]) == ["taken"]
    assert await store.release_claim(req(cid, "c1"), a.serial) == "taken"
    assert await remaining(store, cid) == 4


async def test_release_before_take_voids_the_late_event(store):
    cid = await new_campaign(store)
    a = interpret_admission(await store.admit(req(cid, "c1")))
    assert await store.release_claim(req(cid, "c1"), a.serial) == "released"
    assert await remaining(store, cid) == 5
    assert await store.take_many([(keys.claim(cid, "c1"), a.serial)]) == ["released"]
    # The worker retries with the same key: a fresh admission with a new serial.
    b = interpret_admission(await store.admit(req(cid, "c1")))
    assert b.is_new and b.serial != a.serial
    states = await store.take_many(
        [(keys.claim(cid, "c1"), a.serial), (keys.claim(cid, "c1"), b.serial)]
    )
    assert states == ["stale", "taken"]
    assert await remaining(store, cid) == 4


async def test_confirm_and_replayed_take(store):
    cid = await new_campaign(store)
    a = interpret_admission(await store.admit(req(cid, "c1")))
    assert await store.confirm(keys.claim(cid, "c1"), a.serial) == "acked"
    assert await store.take_many([(keys.claim(cid, "c1"), a.serial)] * 2) == ["taken", "taken"]
    assert await store.take_many([(keys.claim(cid, "missing"), 1)]) == ["missing"]


async def test_replayed_activation_never_resets_a_redeemed_voucher(store):
    cid = await new_campaign(store)
    a = interpret_admission(await store.admit(req(cid, "c1")))
    v = Activation(cid, "c1", a.serial, 300, int(datetime.now(UTC).timestamp()) + 3600)
    assert await store.activate_many([v]) == [1]
    assert interpret_redemption(
        await store.redeem(RedeemRequest(cid, a.serial, "m1", "r1", now_ms()))
    ).is_new
    assert await store.activate_many([v]) == [0]
    with pytest.raises(AlreadyRedeemed):
        interpret_redemption(await store.redeem(RedeemRequest(cid, a.serial, "m2", "r2", now_ms())))


async def test_released_redemption_frees_the_voucher(store):
    cid = await new_campaign(store)
    a = interpret_admission(await store.admit(req(cid, "c1")))
    await store.activate_many([Activation(cid, "c1", a.serial, 300, 2**31)])
    interpret_redemption(await store.redeem(RedeemRequest(cid, a.serial, "m1", "r1", now_ms())))
    assert await store.release_redemption(cid, a.serial, "r1") == "released"
    assert await store.take_many([(keys.redemption(cid, "r1"), a.serial)]) == ["released"]
    assert interpret_redemption(
        await store.redeem(RedeemRequest(cid, a.serial, "m2", "r2", now_ms()))
    ).is_new
    assert (await store.campaign_counters(cid))["redeemed"] == 1
