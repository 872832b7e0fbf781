"""What a stream worker holds: the engine (engine/composition.py), built on first use
inside the worker's event loop."""

from __future__ import annotations

import asyncio

from engine.composition import Engine
from engine.settings import Settings

Resources = Engine


class LazyResources:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._resources: Engine | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> Engine:
        async with self._lock:
            if self._resources is None:
                self._resources = await Engine.start(self.settings)
            return self._resources

    async def close(self) -> None:
        if self._resources is not None:
            await self._resources.stop()
            self._resources = None
