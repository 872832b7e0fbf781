"""Operations staff's named credentials and the audit log of what they did."""

from __future__ import annotations

from engine.adapters.failures import translated
from engine.adapters.postgres.base import Queries, decoded
from engine.domain.api_keys import key_digest
from engine.domain.audit import AuditEntry
from engine.domain.listings import AuditRecord, OpsCredential
from engine.domain.roles import Role, Staff


@translated
class OperatorRecords(Queries):
    async def insert_ops_credential(
        self, credential_id: str, staff: Staff, token: str, created_by: str
    ) -> None:
        await self.db().execute(
            self.q["insert_ops_credential"],
            credential_id,
            staff.name,
            key_digest(token),
            created_by,
            staff.role.value,
            staff.payer_id,
        )

    async def ops_credential_staff(self, token: str) -> Staff | None:
        row = await self.db().fetchrow(self.q["ops_credential_by_hash"], key_digest(token))
        return None if row is None else Staff(row["name"], Role(row["role"]), row["payer_id"])

    async def ops_credentials(self) -> list[OpsCredential]:
        return decoded(OpsCredential, await self.db().fetch(self.q["ops_credentials"]))

    async def revoke_ops_credential(self, credential_id: str) -> bool:
        return await self.db().fetchval(self.q["revoke_ops_credential"], credential_id) is not None

    async def insert_audit(self, entry: AuditEntry) -> None:
        await self.db().execute(
            self.q["insert_audit"],
            entry.actor.name,
            entry.action,
            entry.target,
            entry.before,
            entry.after,
            entry.actor.request_id,
        )

    async def list_audit(
        self, target: str | None, action: str | None, limit: int
    ) -> list[AuditRecord]:
        return decoded(
            AuditRecord, await self.db().fetch(self.q["list_audit"], target, action, limit)
        )
