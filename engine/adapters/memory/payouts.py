"""Payouts, their batches and each batch's lines in memory, by the named queries' rules
(PayoutRecords)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from engine.adapters.memory.tables import TableStore
from engine.domain.payouts import (
    BankResult,
    Batch,
    BatchRecord,
    BatchState,
    Payout,
    PayoutRecord,
    PayoutState,
)


class MemoryPayoutRecords(TableStore):
    async def add_payouts(self, campaign_id: str) -> int:
        added = 0
        for v in self.t.vouchers.values():
            worker = self.t.workers.get(v.worker_id)
            account = worker.profile.get("bank_account") if worker else None
            if v.campaign_id != campaign_id or v.revoked_at is not None or account is None:
                continue
            if v.claim_id not in self.t.payouts:
                payout = Payout(v.claim_id, v.worker_id, str(account), v.face_value_fen)
                self.t.payouts[v.claim_id] = PayoutRecord(campaign_id, v.serial, payout)
                added += 1
        return added

    async def pending_payouts(self, campaign_id: str, most: int) -> list[Payout]:
        pending = [
            r.payout
            for r in self.t.payouts.values()
            if r.campaign_id == campaign_id and r.payout.state == PayoutState.PENDING
        ]
        return sorted(pending, key=lambda p: p.payout_id)[:most]

    async def insert_batch(self, campaign_id: str, batch: Batch, payouts: Sequence[Payout]) -> bool:
        if batch.batch_id in self.t.payout_batches:
            return False
        self.t.payout_batches[batch.batch_id] = BatchRecord(campaign_id, batch)
        self.t.payout_lines[batch.batch_id] = {p.payout_id: p for p in payouts}
        await self.save_payouts(payouts)
        return True

    async def payout_batch(self, batch_id: str) -> BatchRecord | None:
        return self.t.payout_batches.get(batch_id)

    async def batch_payouts(self, batch_id: str) -> list[Payout]:
        lines = self.t.payout_lines.get(batch_id, {})
        now = {pid: self.t.payouts[pid].payout for pid in lines}
        return [
            replace(
                line, state=now[pid].state, batch_id=now[pid].batch_id, failure=now[pid].failure
            )
            for pid, line in sorted(lines.items())
        ]

    async def save_batch(
        self, batch: Batch, was: BatchState, file_sha256: str | None = None
    ) -> bool:
        held = self.t.payout_batches[batch.batch_id]
        if held.batch.state != was:
            return False
        self.t.payout_batches[batch.batch_id] = BatchRecord(
            held.campaign_id, batch, file_sha256 or held.file_sha256
        )
        return True

    async def save_payouts(self, payouts: Sequence[Payout]) -> None:
        for p in payouts:
            held = self.t.payouts[p.payout_id]
            self.t.payouts[p.payout_id] = replace(
                held,
                payout=replace(held.payout, state=p.state, batch_id=p.batch_id, failure=p.failure),
            )

    async def save_results(self, batch_id: str, results: Sequence[BankResult]) -> None:
        self.t.payout_results[batch_id] = list(results)

    async def payout(self, payout_id: str) -> PayoutRecord | None:
        return self.t.payouts.get(payout_id)

    async def payout_totals(self, campaign_id: str) -> dict[str, tuple[int, int]]:
        totals: dict[str, tuple[int, int]] = {}
        for r in self.t.payouts.values():
            if r.campaign_id == campaign_id:
                n, fen = totals.get(r.payout.state.value, (0, 0))
                totals[r.payout.state.value] = (n + 1, fen + r.payout.amount_fen)
        return totals
