"""Connections and use cases a stream worker holds, built on first use inside its loop."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from engine.adapters import postgres
from engine.adapters.postgres import Database
from engine.adapters.redis import Redis
from engine.domain.keyring import Keyring
from engine.keyfiles import keyring_of
from engine.settings import Settings
from engine.usecases.issuance import Issuance
from engine.usecases.ledger import Ledger


@dataclass
class Resources:
    redis: Redis
    db: Database
    keyring: Keyring
    issuance: Issuance
    ledger: Ledger


class LazyResources:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._resources: Resources | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> Resources:
        async with self._lock:
            if self._resources is None:
                self._resources = await self._open()
            return self._resources

    async def _open(self) -> Resources:
        s = self.settings
        live = Redis.from_settings(s)
        db = await postgres.connect(s.database_url.get_secret_value(), s.database_pool_size)
        keyring = keyring_of(s)
        return Resources(
            redis=live,
            db=db,
            keyring=keyring,
            issuance=Issuance(settlement=live.settlement, vouchers=db, keyring=keyring),
            ledger=Ledger(settlement=live.settlement, records=db),
        )

    async def close(self) -> None:
        if self._resources is not None:
            await self._resources.db.close()
            await self._resources.redis.close()
            self._resources = None
