"""Writes that need not delay an answer, gathered in memory and sent in one round trip."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import structlog
from redis.exceptions import RedisError

log = structlog.get_logger("engine.redis")
T = TypeVar("T")


class BackgroundBatch(Generic[T]):
    """Items added within `delay_s` of the first go to Redis together, in the background.

    Only for writes safety never depends on (a confirmation a stream worker would make
    anyway, a dashboard count): a failed flush is logged and dropped.
    """

    def __init__(
        self, what: str, flush: Callable[[list[T]], Awaitable[None]], delay_s: float = 0.0
    ) -> None:
        self.what, self._flush, self._delay_s = what, flush, delay_s
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
                try:
                    await self._flush(batch)
                except RedisError as exc:
                    log.warning(f"{self.what} lost", size=len(batch), error=repr(exc)[:200])
        finally:
            self._task = None

    async def drain(self) -> None:
        if self._task is not None:
            await self._task
