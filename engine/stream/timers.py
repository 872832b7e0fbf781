"""The core role's timers: expiry, the release of abandoned decisions (after the log
fences), webhook deliveries and the gauges.

Every worker runs them (not only a leader): each is idempotent, and leader election is
one more thing the local broker would have to get right. A failed tick is logged and the
next one tries again."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import structlog

from engine.settings import Settings
from engine.stream.gauges import refresh_campaigns, refresh_lag
from engine.stream.resources import LazyResources
from engine.stream.webhooks import deliver_due
from engine.usecases.expiry import expire_due

log = structlog.get_logger("engine.stream")
Job = Callable[[], Awaitable[None]]


class Timers:
    def __init__(
        self, settings: Settings, resources: LazyResources, consumers: Callable[[], list[Any]]
    ) -> None:
        """`consumers`: the worker's consumers now, for the lag gauge."""
        self.settings, self.resources, self.consumers = settings, resources, consumers

    def jobs(self) -> list[tuple[str, Job, float]]:
        """(name, job, interval s) of each timer."""
        s = self.settings
        return [
            ("expiry", self.expire, s.expiry_interval_s),
            ("unsettled repair", self.repair, s.repair_interval_s),
            ("webhook", self.webhooks, s.webhook_interval_s),
            ("gauge refresh", self.gauges, 5.0),
        ]

    async def expire(self) -> None:
        r = await self.resources.get()
        await expire_due(r.decisions.definitions, r.db, datetime.now(UTC))

    async def repair(self) -> None:
        r = await self.resources.get()
        now_ms = int(time.time() * 1000)
        cutoffs = await r.log_watch.tick(now_ms)
        caps_cutoff_ms = now_ms - int(self.settings.unsettled_after_s * 1000)
        await r.repair.release_abandoned(cutoffs, caps_cutoff_ms)

    async def webhooks(self) -> None:
        await deliver_due(await self.resources.get(), self.settings)

    async def gauges(self) -> None:
        r = await self.resources.get()
        await refresh_campaigns(r)
        for consumer in self.consumers():
            if consumer is not None:
                await refresh_lag(consumer, r, self.settings)


def logged(name: str, job: Job) -> Job:
    async def tick() -> None:
        try:
            await job()
        except Exception as exc:  # noqa: BLE001 - the next tick tries again
            log.warning(f"{name} run failed", error=repr(exc)[:300])

    tick.__name__ = tick.__qualname__ = f"timer_{name.replace(' ', '_')}"
    return tick
