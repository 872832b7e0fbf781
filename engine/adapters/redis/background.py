"""Writes that need not delay an answer, gathered in memory and sent in one round trip."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import structlog
from redis.exceptions import RedisError

log = structlog.get_logger("engine.redis")
T = TypeVar("T")


class BackgroundBatch(Generic[T]):
    """Items added within `delay_s` of the first go to Redis together, in the background.

    A failed flush is tried again for up to `retry_for_s` (0: not at all), then logged
    and dropped: for writes an answer need not wait for (a confirmation, a dashboard
    count), sent again across a Redis restart or failover.
    """

    def __init__(
        self,
        what: str,
        flush: Callable[[list[T]], Awaitable[None]],
        delay_s: float = 0.0,
        retry_for_s: float = 0.0,
    ) -> None:
        self.what, self._flush, self._delay_s = what, flush, delay_s
        self._retry_for_s = retry_for_s
        self._items: list[T] = []
        self._task: asyncio.Task[None] | None = None

    def add(self, item: T) -> None:
        self._items.append(item)
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        try:
            await asyncio.sleep(self._delay_s)
            while self._items:
                batch, self._items = self._items, []
                await self._send(batch)
        finally:
            self._task = None

    async def _send(self, batch: list[T]) -> None:
        give_up = time.monotonic() + self._retry_for_s
        pause = 0.2
        while True:
            try:
                await self._flush(batch)
                return
            except RedisError as exc:
                if time.monotonic() + pause > give_up:
                    log.warning(f"{self.what} lost", size=len(batch), error=repr(exc)[:200])
                    return
                log.info(f"{self.what} failed, retrying", size=len(batch), error=type(exc).__name__)
            await asyncio.sleep(pause)
            pause = min(2 * pause, 1.0)

    async def drain(self) -> None:
        if self._task is not None:
            await self._task
