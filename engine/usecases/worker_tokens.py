"""Workers' bearer tokens: minted for the union's app, verified on every worker request,
revoked one worker at a time.

A revocation is written to PostgreSQL and applied at once in this process; every other
API process reads the revocations changed since its last look once a second
(`follow_revocations`), so a revoked token stops everywhere within about a second.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Protocol

import structlog

from engine.domain.audit import Actor, AuditEntry
from engine.domain.mac_keys import MacKeys
from engine.domain.tokens import VerifiedTokens, WorkerIdentity, mint_worker_token
from engine.errors import NotFound
from engine.usecases.ports import AuditLog, Clock, WorkerRecords

log = structlog.get_logger("engine.tokens")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Records(WorkerRecords, AuditLog, Protocol):
    """The register of workers and their revocations; minting and revoking are audited."""


class WorkerTokens:
    def __init__(self, *, keys: MacKeys, records: Records, clock: Clock, ttl_s: int) -> None:
        self.records, self.clock, self.ttl_s = records, clock, ttl_s
        self.verified = VerifiedTokens(keys)
        self._seen_until = _EPOCH

    def verify(self, token: str, now: float) -> WorkerIdentity:
        return self.verified.verify(token, now)

    async def mint(self, worker_id: str, by: Actor) -> tuple[str, int]:
        """A token for the worker and when it expires (unix s)."""
        worker = await self.records.get_worker(worker_id)
        if worker is None:
            raise NotFound(f"No worker {worker_id}")
        now = int(self.clock.now().timestamp())
        token = mint_worker_token(self.verified.keys, worker_id, now, self.ttl_s)
        expires_at = now + self.ttl_s
        entry = AuditEntry.of(
            by, "worker.token_mint", f"worker:{worker_id}", after={"expires_at": expires_at}
        )
        await self.records.insert_audit(entry)
        return token, expires_at

    async def revoke(self, worker_id: str, by: Actor) -> int:
        """Every token the worker holds stops; returns the moment (unix s) it applies from.

        A token minted in the same second is revoked too: tokens carry whole seconds.
        """
        if await self.records.get_worker(worker_id) is None:
            raise NotFound(f"No worker {worker_id}")
        before = int(self.clock.now().timestamp()) + 1
        async with self.records.transaction():
            await self.records.revoke_worker_tokens(worker_id, before)
            entry = AuditEntry.of(
                by, "worker.tokens_revoke", f"worker:{worker_id}", after={"before": before}
            )
            await self.records.insert_audit(entry)
        self._apply(worker_id, before)
        return before

    async def refresh(self) -> int:
        """Apply the revocations changed since the last look; how many there were."""
        # A little overlap: a row committed late with an earlier timestamp is not missed.
        since = self._seen_until - timedelta(seconds=5)
        changed = await self.records.token_revocations_since(since)
        for worker_id, before, changed_at in changed:
            self._apply(worker_id, before)
            self._seen_until = max(self._seen_until, changed_at)
        return len(changed)

    async def follow_revocations(self, interval_s: float = 1.0) -> None:
        """Refresh forever (the API process runs it in the background)."""
        while True:
            try:
                await self.refresh()
            except Exception as exc:  # noqa: BLE001 - the next look tries again
                log.warning("token revocations not refreshed", error=repr(exc)[:200])
            await asyncio.sleep(interval_s)

    def _apply(self, worker_id: str, before: int) -> None:
        known = self.verified.revoked_before.get(worker_id, 0)
        self.verified.revoked_before[worker_id] = max(known, before)
