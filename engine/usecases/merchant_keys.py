"""Who a merchant API key stands for, on every merchant request.

Resolved from the cache beside the decisions (one round trip), from PostgreSQL on a
miss; a revoked key's tombstone refuses it on the very next request, in every process.
Wrong keys are never cached: the credential guard throttles those.
"""

from __future__ import annotations

from engine.domain.api_keys import (
    REVOKED,
    MerchantIdentity,
    decode_identity,
    encode_identity,
)
from engine.usecases.ports import KeyCache, MerchantRecords


class MerchantKeys:
    def __init__(self, *, cache: KeyCache, records: MerchantRecords, ttl_s: int) -> None:
        self.cache, self.records, self.ttl_s = cache, records, ttl_s

    async def identify(self, api_key: str) -> MerchantIdentity | None:
        cached = await self.cache.lookup(api_key)
        if cached == REVOKED:
            return None
        if cached is not None and (who := decode_identity(cached)) is not None:
            return who
        row = await self.records.merchant_by_api_key(api_key)
        if row is None:
            return None
        who = MerchantIdentity(row["merchant_id"], row["store_id"], row["key_id"])
        await self.cache.remember(api_key, encode_identity(who), self.ttl_s)
        return who

    async def revoked(self, digest: bytes) -> None:
        """Called once a revocation committed: the next request with the key is refused."""
        await self.cache.revoke(digest, self.ttl_s)
