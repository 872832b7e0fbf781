"""The union's register of workers and their profiles."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from engine.adapters.failures import translated
from engine.adapters.postgres.base import Queries
from engine.domain.profiles import WorkerRecord


@translated
class WorkerRecords(Queries):
    async def upsert_workers(self, workers: Sequence[WorkerRecord]) -> tuple[int, int]:
        """Write workers whose data differs; return (created, updated)."""
        written = await self.db().fetch(
            self.q["upsert_workers"],
            [w.id for w in workers],
            [w.category for w in workers],
            [w.profile for w in workers],
        )
        created = sum(1 for r in written if r["created"])
        return created, len(written) - created

    async def get_worker(self, worker_id: str) -> WorkerRecord | None:
        row = await self.db().fetchrow(self.q["get_worker"], worker_id)
        return None if row is None else WorkerRecord(row["id"], row["category"], row["profile"])

    async def revoke_worker_tokens(self, worker_id: str, before: int) -> None:
        await self.db().execute(self.q["revoke_worker_tokens"], worker_id, before)

    async def token_revocations_since(self, since: datetime) -> list[tuple[str, int, datetime]]:
        """(worker id, revoked before (unix s), changed at) of revocations after `since`."""
        rows = await self.db().fetch(self.q["token_revocations_since"], since)
        return [(r["worker_id"], r["revoked_before"], r["changed_at"]) for r in rows]
