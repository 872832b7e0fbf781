"""Who a merchant API key stands for, on every merchant request.

Resolved from the cache beside the decisions (one round trip, which also counts the
request against the key's rate), from PostgreSQL on a miss; a revoked key's tombstone
refuses it on the very next request, in every process. Wrong keys are never cached: the
credential guard throttles those.
"""

from __future__ import annotations

from engine.domain.api_keys import (
    REVOKED,
    MerchantIdentity,
    decode_identity,
    encode_identity,
)
from engine.errors import RateLimited
from engine.usecases.ports import KeyCache, MerchantRecords

_RATE_WINDOW_S = 60


class MerchantKeys:
    def __init__(
        self, *, cache: KeyCache, records: MerchantRecords, ttl_s: int, requests_per_min: int
    ) -> None:
        self.cache, self.records, self.ttl_s = cache, records, ttl_s
        self.requests_per_min = requests_per_min

    async def identify(self, api_key: str) -> MerchantIdentity | None:
        """Who the key stands for (None for a wrong or revoked key), its request counted;
        RateLimited once the key is over its requests a minute."""
        cached = await self._cached(api_key)
        if cached == REVOKED:
            return None
        if cached is not None and (who := decode_identity(cached)) is not None:
            return who
        who = await self.records.merchant_by_api_key(api_key)
        if who is None:
            return None
        await self.cache.remember(api_key, encode_identity(who), self.ttl_s)
        # Asked again so the request is counted, and a revocation that came between the
        # read and the fill (its tombstone stays) refuses it.
        cached = await self._cached(api_key)
        return None if cached == REVOKED else who

    async def _cached(self, api_key: str) -> str | None:
        cached, wait = await self.cache.lookup(api_key, _RATE_WINDOW_S, self.requests_per_min)
        if wait:
            raise RateLimited(
                f"At most {self.requests_per_min} requests a minute", retry_after_s=wait
            )
        return cached

    async def revoked(self, digest: bytes) -> None:
        """Called once a revocation committed: the next request with the key is refused."""
        await self.cache.revoke(digest, self.ttl_s)
