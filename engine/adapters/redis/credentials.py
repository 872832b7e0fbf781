"""Merchant API keys resolved beside the decisions, so a request needs no PostgreSQL.

A look-up also counts the request against the key's rate: both in one script, and the
look-ups of one event-loop turn in one round trip.

A revocation overwrites the entry with a tombstone, and a fill never overwrites
anything (SET NX): a request that read PostgreSQL just before a revocation cannot put
the revoked key back, and the request after the revocation finds the tombstone.
"""

from __future__ import annotations

from engine.adapters.failures import translated
from engine.adapters.redis import keys
from engine.adapters.redis.connection import Client, Scripts, text
from engine.domain.api_keys import REVOKED, key_digest


@translated
class RedisKeyCache:
    def __init__(self, client: Client, scripts: Scripts) -> None:
        self.client = client
        self.look_up = scripts.group_commit("merchant_key")

    async def lookup(self, api_key: str, window_s: int, allowed: int) -> tuple[str | None, int]:
        """(the cached value for a presented key: an identity, the tombstone, or None;
        seconds to wait when its requests are over the allowance, else 0)."""
        digest = key_digest(api_key).hex()
        ks = [keys.merchant_key(digest), keys.merchant_key_rate(digest)]
        value, wait = await self.look_up.run(ks, [window_s, allowed, REVOKED])
        return text(value) or None, int(wait)

    async def remember(self, api_key: str, value: str, ttl_s: int) -> None:
        key = keys.merchant_key(key_digest(api_key).hex())
        await self.client.set(key, value, nx=True, ex=ttl_s)

    async def revoke(self, digest: bytes, ttl_s: int) -> None:
        await self.client.set(keys.merchant_key(digest.hex()), REVOKED, ex=ttl_s)
