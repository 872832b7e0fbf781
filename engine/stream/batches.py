"""Running one batch of events to completion: retry what is passing, isolate what is poison.

faust acks a taken batch when the loop moves on, even after an exception, so a
batch must never be abandoned. A backing service that is down (PostgreSQL,
Redis) pauses the stream until it returns. An event the database refuses for
good (a constraint it violates) is retried alone and then parked on the
dead-letter topic with the reason, so one bad event cannot stop the others.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import structlog

from engine.adapters.failures import is_transient
from engine.metrics import BATCH_RETRIES, DEAD_LETTERS

log = structlog.get_logger("engine.stream")
E = TypeVar("E")
R = TypeVar("R")


async def run_batch(
    name: str,
    events: Sequence[E],
    handle: Callable[[Sequence[E]], Awaitable[list[R]]],
    dead_letter: Callable[[E, BaseException], Awaitable[None]],
    max_backoff_s: float = 5.0,
) -> list[R]:
    """Return handle(events), retrying transient failures and isolating poison events."""
    if not events:  # a batch of log fences only: nothing to write, so no service to wait on
        return []
    delay = 0.1
    while True:
        try:
            return await handle(events)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - classified just below
            if not is_transient(exc):
                return await _isolate(name, events, handle, dead_letter, exc)
            BATCH_RETRIES.labels(name).inc()
            log.warning(
                "backing service failed, retrying",
                batch=name,
                size=len(events),
                error=repr(exc)[:300],
                retry_in_s=round(delay, 2),
            )
            await asyncio.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, max_backoff_s)


async def _isolate(
    name: str,
    events: Sequence[E],
    handle: Callable[[Sequence[E]], Awaitable[list[R]]],
    dead_letter: Callable[[E, BaseException], Awaitable[None]],
    exc: BaseException,
) -> list[R]:
    if len(events) == 1:
        log.error("event parked on the dead-letter topic", batch=name, error=repr(exc)[:300])
        DEAD_LETTERS.labels(name).inc()
        await dead_letter(events[0], exc)
        return []
    out: list[R] = []
    for event in events:
        out += await run_batch(name, [event], handle, dead_letter)
    return out
