"""The Redis adapter: the only code that knows Redis keys, clients and Lua replies.

One client per process; each concern gets its own small object over it (claim and
redemption decisions, settlement, throttles, live figures, definitions, rebuild).
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.adapters.failures import NotReplicated, translated
from engine.adapters.redis.admissions import RedisAdmissions
from engine.adapters.redis.bindings import RedisKeyBindings
from engine.adapters.redis.connection import (
    CLUSTER_SCHEME,
    Client,
    Durability,
    Scripts,
    connect,
)
from engine.adapters.redis.credentials import RedisKeyCache
from engine.adapters.redis.definitions import RedisDefinitions
from engine.adapters.redis.figures import RedisFigures
from engine.adapters.redis.log_marks import RedisLogMarks
from engine.adapters.redis.rebuild import RedisRebuild
from engine.adapters.redis.redemptions import RedisRedemptions
from engine.adapters.redis.settlement import RedisSettlement
from engine.adapters.redis.stations import RedisStations
from engine.adapters.redis.throttles import RedisThrottles
from engine.settings import Settings

__all__ = ["Durability", "NotReplicated", "Redis"]
DEFAULT_KEY_LIFE_S = Settings.model_fields["idempotency_key_life_s"].default


@translated
@dataclass
class Redis:
    client: Client
    admissions: RedisAdmissions
    redemptions: RedisRedemptions
    settlement: RedisSettlement
    throttles: RedisThrottles
    figures: RedisFigures
    definitions: RedisDefinitions
    rebuild: RedisRebuild
    key_cache: RedisKeyCache
    bindings: RedisKeyBindings
    log_marks: RedisLogMarks
    stations: RedisStations

    @classmethod
    def connect(
        cls,
        url: str,
        max_connections: int,
        durability: Durability | None = None,
        key_life_s: int = DEFAULT_KEY_LIFE_S,
    ) -> Redis:
        return cls.over(connect(url, max_connections), durability, key_life_s)

    @classmethod
    def from_settings(cls, settings: Settings, max_connections: int | None = None) -> Redis:
        url = settings.redis_url.get_secret_value()
        wanted = max_connections or settings.redis_max_connections
        if url.startswith(CLUSTER_SCHEME):
            # The cluster client raises rather than waits with none free: room for every
            # claim and redemption a process takes on at once, beside the background.
            wanted += settings.max_hot_in_flight
        durability = Durability(
            settings.redis_check_slots,
            settings.redis_wait_replicas,
            settings.redis_wait_timeout_ms,
            # Sent again for as long as Redis may take to come back: the record is
            # released only once the log proves its event was never appended.
            max(0.0, settings.unsettled_after_s - settings.kafka_produce_timeout_s - 1),
            settings.confirm_delay_s,
        )
        return cls.connect(url, wanted, durability, settings.idempotency_key_life_s)

    @classmethod
    def over(
        cls,
        client: Client,
        durability: Durability | None = None,
        key_life_s: int = DEFAULT_KEY_LIFE_S,
    ) -> Redis:
        durability = durability or Durability()
        scripts = Scripts(client, durability)
        return cls(
            client=client,
            admissions=RedisAdmissions(client, scripts),
            redemptions=RedisRedemptions(client, scripts),
            settlement=RedisSettlement(
                client, scripts, durability.confirm_retry_s, durability.confirm_delay_s
            ),
            throttles=RedisThrottles(scripts),
            figures=RedisFigures(client, scripts),
            definitions=RedisDefinitions(client, scripts),
            rebuild=RedisRebuild(client),
            key_cache=RedisKeyCache(client, scripts),
            bindings=RedisKeyBindings(scripts, key_life_s),
            log_marks=RedisLogMarks(client, scripts),
            stations=RedisStations(client, scripts),
        )

    async def ping(self) -> None:
        await self.client.ping()

    async def close(self) -> None:
        """Let the background writes finish, then close the connections."""
        await self.settlement.drain()
        await self.figures.drain()
        await self.client.aclose()
