"""Waiting on events, never on pauses."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

from engine.adapters.redis import Redis
from engine.settings import Settings

T = TypeVar("T")


async def applied_until_now(live: Redis, settings: Settings, event_name: str) -> None:
    """Every event of the topic appended before this call is applied: each partition's
    consumer has passed a log fence placed after it (engine/usecases/log_watch.py). A
    barrier to wait on instead of a pause: whatever would follow has landed by then."""
    now_ms = int(time.time() * 1000)
    partitions = list(range(settings.topic_partitions))

    async def passed() -> bool:
        return await live.log_marks.watermark(event_name, partitions) >= now_ms

    await wait_for(passed, timeout_s=120)


async def sleep_until(moment: datetime) -> None:
    """Let real time pass a deadline a test set (not a way to wait for the engine)."""
    await asyncio.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()) + 0.1)


async def wait_for(
    check: Callable[[], Awaitable[T]], timeout_s: float = 60.0, interval_s: float = 0.2
) -> T:
    """Poll an async check until it returns a truthy value; fail with the last value."""
    deadline = time.monotonic() + timeout_s
    last: T | None = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval_s)
    raise AssertionError(f"condition not met within {timeout_s}s (last value {last!r})")
