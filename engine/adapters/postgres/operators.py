"""Operations staff's named credentials and the audit log of what they did."""

from __future__ import annotations

from typing import Any

import asyncpg

from engine.adapters.postgres.base import Queries, hash_api_key


class OperatorRecords(Queries):
    async def insert_ops_credential(
        self, credential_id: str, name: str, token: str, created_by: str
    ) -> None:
        await self.pool.execute(
            self.q["insert_ops_credential"], credential_id, name, hash_api_key(token), created_by
        )

    async def ops_credential_by_token(self, token: str) -> asyncpg.Record | None:
        return await self.pool.fetchrow(self.q["ops_credential_by_hash"], hash_api_key(token))

    async def ops_credentials(self) -> list[asyncpg.Record]:
        return await self.pool.fetch(self.q["ops_credentials"])

    async def revoke_ops_credential(self, credential_id: str) -> bool:
        return await self.pool.fetchval(self.q["revoke_ops_credential"], credential_id) is not None

    async def insert_audit(
        self,
        actor: str,
        action: str,
        target: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        request_id: str | None,
    ) -> None:
        await self.pool.execute(
            self.q["insert_audit"], actor, action, target, before, after, request_id
        )

    async def list_audit(
        self, target: str | None, action: str | None, limit: int
    ) -> list[asyncpg.Record]:
        return await self.pool.fetch(self.q["list_audit"], target, action, limit)
