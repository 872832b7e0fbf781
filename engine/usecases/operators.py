"""Named credentials for operations staff: one per person, shown once, revocable at once.

The audit log names the person behind each action (`ops:<name>`); revoking a token
stops it on its next request, since it is looked up every time.
"""

from __future__ import annotations

import secrets
from typing import Any, Protocol

from engine.domain.audit import Actor, AuditEntry
from engine.domain.listings import document
from engine.domain.roles import Staff
from engine.errors import NotFound
from engine.usecases.ports import AuditLog, OperatorRecords


class Records(OperatorRecords, AuditLog, Protocol):
    """Credentials, each change audited in its own transaction."""


OPS_TOKEN_PREFIX = "nxo_"


def new_ops_token() -> str:
    return f"{OPS_TOKEN_PREFIX}{secrets.token_urlsafe(32)}"


class Operators:
    def __init__(self, records: Records) -> None:
        self.db = records

    async def create(self, staff: Staff, by: Actor) -> dict[str, Any]:
        credential_id, token = f"o-{secrets.token_hex(6)}", new_ops_token()
        created = {
            "credential_id": credential_id,
            "name": staff.name,
            "role": staff.role.value,
            "payer_id": staff.payer_id,
            "token": token,
        }
        async with self.db.transaction():
            await self.db.insert_ops_credential(credential_id, staff, token, by.name)
            entry = AuditEntry.of(by, "ops.credential_create", staff.actor, after=created)
            await self.db.insert_audit(entry)
        return created

    async def staff_of(self, token: str) -> Staff | None:
        """Whose named token this is and what it may do (None: no active credential has it)."""
        return await self.db.ops_credential_staff(token)

    async def audit(
        self, target: str | None, action: str | None, limit: int
    ) -> list[dict[str, Any]]:
        """Who did what to what, newest first."""
        return [document(r) for r in await self.db.list_audit(target, action, limit)]

    async def credentials(self) -> list[dict[str, Any]]:
        return [document(c) for c in await self.db.ops_credentials()]

    async def revoke(self, credential_id: str, by: Actor) -> None:
        async with self.db.transaction():
            if not await self.db.revoke_ops_credential(credential_id):
                raise NotFound(f"No active operations credential {credential_id}")
            after = {"credential_id": credential_id}
            await self.db.insert_audit(
                AuditEntry.of(by, "ops.credential_revoke", "ops", after=after)
            )
