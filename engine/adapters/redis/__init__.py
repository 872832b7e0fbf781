"""The Redis adapter: the only code that knows Redis keys, clients and Lua replies.

One client per process; each concern gets its own small object over it (claim and
redemption decisions, settlement, throttles, live figures, definitions, rebuild).
"""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as redis

from engine.adapters.redis.admissions import RedisAdmissions
from engine.adapters.redis.connection import Scripts, connect
from engine.adapters.redis.credentials import RedisKeyCache
from engine.adapters.redis.definitions import RedisDefinitions
from engine.adapters.redis.figures import RedisFigures
from engine.adapters.redis.rebuild import RedisRebuild
from engine.adapters.redis.redemptions import RedisRedemptions
from engine.adapters.redis.settlement import RedisSettlement
from engine.adapters.redis.throttles import RedisThrottles
from engine.settings import Settings


@dataclass
class Redis:
    client: redis.Redis
    admissions: RedisAdmissions
    redemptions: RedisRedemptions
    settlement: RedisSettlement
    throttles: RedisThrottles
    figures: RedisFigures
    definitions: RedisDefinitions
    rebuild: RedisRebuild
    key_cache: RedisKeyCache

    @classmethod
    def connect(cls, url: str, max_connections: int, check_slots: bool = False) -> Redis:
        return cls.over(connect(url, max_connections), check_slots)

    @classmethod
    def from_settings(cls, settings: Settings, max_connections: int | None = None) -> Redis:
        return cls.connect(
            settings.redis_url.get_secret_value(),
            max_connections or settings.redis_max_connections,
            settings.redis_check_slots,
        )

    @classmethod
    def over(cls, client: redis.Redis, check_slots: bool = False) -> Redis:
        scripts = Scripts(client, check_slots)
        return cls(
            client=client,
            admissions=RedisAdmissions(client, scripts),
            redemptions=RedisRedemptions(client, scripts),
            settlement=RedisSettlement(client, scripts),
            throttles=RedisThrottles(scripts),
            figures=RedisFigures(client),
            definitions=RedisDefinitions(client, scripts),
            rebuild=RedisRebuild(client),
            key_cache=RedisKeyCache(client, scripts),
        )

    async def ping(self) -> None:
        await self.client.ping()

    async def close(self) -> None:
        """Let the background writes finish, then close the connections."""
        await self.settlement.drain()
        await self.figures.drain()
        await self.client.aclose()
