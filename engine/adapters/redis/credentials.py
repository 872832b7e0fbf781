"""Merchant API keys resolved beside the decisions, so a request needs no PostgreSQL.

A revocation overwrites the entry with a tombstone, and a fill never overwrites
anything (SET NX): a request that read PostgreSQL just before a revocation cannot put
the revoked key back, and the request after the revocation finds the tombstone.
"""

from __future__ import annotations

import redis.asyncio as redis

from engine.adapters.redis import keys
from engine.adapters.redis.connection import text
from engine.domain.api_keys import REVOKED, key_digest


class RedisKeyCache:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    async def lookup(self, api_key: str) -> str | None:
        """The cached value for a presented key: an identity, the tombstone, or None."""
        value = await self.client.get(keys.merchant_key(key_digest(api_key).hex()))
        return None if value is None else text(value)

    async def remember(self, api_key: str, value: str, ttl_s: int) -> None:
        key = keys.merchant_key(key_digest(api_key).hex())
        await self.client.set(key, value, nx=True, ex=ttl_s)

    async def revoke(self, digest: bytes, ttl_s: int) -> None:
        await self.client.set(keys.merchant_key(digest.hex()), REVOKED, ex=ttl_s)
