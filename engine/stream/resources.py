"""Connections a stream worker holds, opened on first use inside the worker's loop."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from engine.adapters import postgres, redis_store
from engine.adapters.postgres import Database
from engine.adapters.redis_store import RedisStore
from engine.domain.keyring import Keyring
from engine.keyfiles import keyring_of
from engine.settings import Settings


@dataclass
class Resources:
    store: RedisStore
    db: Database
    keyring: Keyring


class LazyResources:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._resources: Resources | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> Resources:
        async with self._lock:
            if self._resources is None:
                s = self.settings
                self._resources = Resources(
                    store=RedisStore(
                        redis_store.connect(s.redis_url.get_secret_value(), s.redis_max_connections)
                    ),
                    db=await postgres.connect(
                        s.database_url.get_secret_value(), s.database_pool_size
                    ),
                    keyring=keyring_of(s),
                )
            return self._resources

    async def close(self) -> None:
        if self._resources is not None:
            await self._resources.db.close()
            await self._resources.store.close()
            self._resources = None
