"""What a running API process holds: the engine (engine/composition.py), and a task that
keeps this process's view of revoked worker tokens current."""

from __future__ import annotations

import asyncio
from typing import Self

from engine.composition import Engine
from engine.domain.clock import Clock
from engine.settings import Settings


class Services(Engine):
    background: list[asyncio.Task[None]]

    @classmethod
    async def start(cls, settings: Settings, clock: Clock | None = None, log: bool = True) -> Self:
        services = await super().start(settings, clock, log)
        services.background = [asyncio.create_task(services.tokens.follow_revocations())]
        return services

    async def stop(self) -> None:
        for task in self.background:
            task.cancel()
        await asyncio.gather(*self.background, return_exceptions=True)
        await super().stop()
