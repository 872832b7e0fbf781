"""The log marks' contract (LogMarks), run against Redis and the in-memory store: fences
registered and passed make a watermark, offsets seen only grow, the fence lock has one
holder. A lost log (a fence's offset going back) is not played here against the engine's
own Redis, whose log watch would then send every decision again: the memory store's unit
tests (tests/unit/usecases/test_recovery.py) and tests/faults/test_log.py cover it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from engine.adapters.memory import MemoryDecisionStore
from engine.adapters.redis import Redis
from engine.domain.clock import SystemClock
from engine.usecases.ports.stores import DecisionStore
from tests.helpers.waiting import wait_for


@pytest.fixture(params=["memory", "redis"])
async def store(request, settings) -> AsyncIterator[DecisionStore]:
    if request.param == "memory":
        yield MemoryDecisionStore(SystemClock())
        return
    redis = Redis.from_settings(settings, 4)
    yield redis
    await redis.close()


async def test_fences_registered_and_passed_make_the_watermark(store):
    marks, topic = store.log_marks, f"contract-{uuid.uuid4().hex[:8]}"
    holder = uuid.uuid4().hex
    # The engine's own log watch takes the lock for a moment each tick: wait our turn.
    await wait_for(lambda: marks.lock(holder, 30), timeout_s=60, interval_s=0.05)
    try:
        assert not await marks.lock("someone-else", 30)
        fences = {topic: [(0, 5, 1_000, 4), (1, 7, 1_000, 0)]}
        assert await marks.placed(holder, fences, "now") == []
        assert await marks.placed("not-the-holder", {topic: [(0, 9, 2_000, 0)]}, "now") == []
    finally:
        await marks.unlock(holder)
    assert await marks.placed_offsets(topic) == {0: 5, 1: 7}
    assert await marks.watermark(topic, [0, 1]) == 0  # nothing passed yet
    await marks.passed(topic, [(0, 1_000)])
    assert await marks.watermark(topic, [0, 1]) == 0  # one partition still behind
    await marks.passed(topic, [(1, 1_500), (0, 900)])  # a late report never lowers one
    assert await marks.watermark(topic, [0, 1]) == 1_000
    await marks.consumed(topic, [(1, 12)])
    await marks.consumed(topic, [(1, 3)])
    assert await marks.seen_offsets(topic) == {0: 5, 1: 12}
