"""Named credentials for operations staff: one per person, shown once, revocable at once.

The audit log names the person behind each action (`ops:<name>`); revoking a token
stops it on its next request, since it is looked up every time.
"""

from __future__ import annotations

import secrets
from typing import Any

from engine.errors import NotFound
from engine.usecases.ports import OperatorRecords

OPS_TOKEN_PREFIX = "nxo_"


def new_ops_token() -> str:
    return f"{OPS_TOKEN_PREFIX}{secrets.token_urlsafe(32)}"


class Operators:
    def __init__(self, records: OperatorRecords) -> None:
        self.db = records

    async def create(self, name: str, created_by: str) -> dict[str, str]:
        credential_id, token = f"o-{secrets.token_hex(6)}", new_ops_token()
        await self.db.insert_ops_credential(credential_id, name, token, created_by)
        return {"credential_id": credential_id, "name": name, "token": token}

    async def credentials(self) -> list[dict[str, Any]]:
        return [
            {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in dict(r).items()}
            for r in await self.db.ops_credentials()
        ]

    async def revoke(self, credential_id: str) -> None:
        if not await self.db.revoke_ops_credential(credential_id):
            raise NotFound(f"No active operations credential {credential_id}")
