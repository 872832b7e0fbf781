"""Merchants, their stores and their API keys (stored as digests)."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from engine.adapters.failures import translated
from engine.adapters.postgres.base import Queries, decoded
from engine.domain.api_keys import MerchantIdentity, key_digest
from engine.domain.listings import MerchantKey


@translated
class MerchantRecords(Queries):
    async def existing_merchants(self, ids: Sequence[str]) -> set[str]:
        return {r["id"] for r in await self.db().fetch(self.q["existing_merchants"], list(ids))}

    async def insert_merchant(self, merchant_id: str, name: str, key_id: str, api_key: str) -> bool:
        async with self.transaction() as conn:
            if await conn.fetchval(self.q["insert_merchant"], merchant_id, name) is None:
                return False
            await conn.execute(
                self.q["insert_merchant_key"], key_id, merchant_id, None, key_digest(api_key)
            )
            return True

    async def insert_merchant_key(
        self, key_id: str, merchant_id: str, store_id: str | None, api_key: str
    ) -> bool:
        try:
            await self.db().execute(
                self.q["insert_merchant_key"], key_id, merchant_id, store_id, key_digest(api_key)
            )
        except asyncpg.ForeignKeyViolationError:
            return False
        return True

    async def revoke_merchant_key(self, key_id: str, merchant_id: str) -> bytes | None:
        """The revoked key's digest; None when there was no such active key."""
        digest = await self.db().fetchval(self.q["revoke_merchant_key"], key_id, merchant_id)
        return None if digest is None else bytes(digest)

    async def merchant_keys(self, merchant_id: str) -> list[MerchantKey]:
        return decoded(MerchantKey, await self.db().fetch(self.q["merchant_keys"], merchant_id))

    async def merchant_by_api_key(self, api_key: str) -> MerchantIdentity | None:
        row = await self.db().fetchrow(self.q["merchant_by_key_hash"], key_digest(api_key))
        return None if row is None else MerchantIdentity(**dict(row))

    async def insert_store(self, merchant_id: str, store_id: str, name: str) -> bool:
        return (
            await self.db().fetchval(self.q["insert_store"], merchant_id, store_id, name)
            is not None
        )

    async def merchant_exists(self, merchant_id: str) -> bool:
        return await self.db().fetchval(self.q["merchant_exists"], merchant_id) is not None
