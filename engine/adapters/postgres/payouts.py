"""Payout campaigns' payouts, their batches and each batch's lines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.adapters.failures import translated
from engine.adapters.postgres.base import Queries
from engine.domain.payouts import (
    BankResult,
    Batch,
    BatchRecord,
    BatchState,
    Payout,
    PayoutRecord,
    PayoutState,
)


@translated
class PayoutRecords(Queries):
    async def add_payouts(self, campaign_id: str) -> int:
        status = await self.db().execute(self.q["add_payouts"], campaign_id)
        return int(status.rsplit(" ", 1)[-1])

    async def pending_payouts(self, campaign_id: str, most: int) -> list[Payout]:
        rows = await self.db().fetch(self.q["pending_payouts"], campaign_id, most)
        return [_payout(r) for r in rows]

    async def insert_batch(self, campaign_id: str, batch: Batch, payouts: Sequence[Payout]) -> bool:
        async with self.transaction() as conn:
            made = await conn.fetchval(
                self.q["insert_payout_batch"], batch.batch_id, campaign_id, batch.prepared_by
            )
            if made is None:
                return False
            columns = [
                [p.payout_id for p in payouts],
                [p.worker_id for p in payouts],
                [p.account for p in payouts],
                [p.amount_fen for p in payouts],
            ]
            await conn.execute(self.q["insert_payout_lines"], batch.batch_id, *columns)
            await self._save(conn, payouts)
            return True

    async def payout_batch(self, batch_id: str) -> BatchRecord | None:
        row = await self.db().fetchrow(self.q["payout_batch"], batch_id)
        if row is None:
            return None
        batch = Batch(
            row["batch_id"],
            tuple(row["payout_ids"]),
            row["prepared_by"],
            BatchState(row["state"]),
            row["approved_by"],
        )
        return BatchRecord(row["campaign_id"], batch, row["file_sha256"])

    async def batch_payouts(self, batch_id: str) -> list[Payout]:
        return [_payout(r) for r in await self.db().fetch(self.q["batch_payouts"], batch_id)]

    async def save_batch(
        self, batch: Batch, was: BatchState, file_sha256: str | None = None
    ) -> bool:
        moved = await self.db().fetchval(
            self.q["save_payout_batch"],
            batch.batch_id,
            was.value,
            batch.state.value,
            batch.approved_by,
            file_sha256,
        )
        return moved is not None

    async def save_payouts(self, payouts: Sequence[Payout]) -> None:
        await self._save(self.db(), payouts)

    async def save_results(self, batch_id: str, results: Sequence[BankResult]) -> None:
        await self.db().execute(
            self.q["save_payout_results"],
            batch_id,
            [r.payout_id for r in results],
            ["paid" if r.paid else "failed" for r in results],
            [r.reason or None for r in results],
        )

    async def payout(self, payout_id: str) -> PayoutRecord | None:
        row = await self.db().fetchrow(self.q["payout"], payout_id)
        if row is None:
            return None
        return PayoutRecord(row["campaign_id"], row["serial"], _payout(row))

    async def payout_totals(self, campaign_id: str) -> dict[str, tuple[int, int]]:
        rows = await self.db().fetch(self.q["payout_totals"], campaign_id)
        return {r["state"]: (r["n"], r["fen"]) for r in rows}

    async def _save(self, conn: Any, payouts: Sequence[Payout]) -> None:
        await conn.execute(
            self.q["save_payouts"],
            [p.payout_id for p in payouts],
            [p.state.value for p in payouts],
            [p.batch_id for p in payouts],
            [p.failure for p in payouts],
        )


def _payout(row: Any) -> Payout:
    return Payout(
        row["payout_id"],
        row["worker_id"],
        row["account"],
        row["amount_fen"],
        PayoutState(row["state"]),
        row["batch_id"],
        row["failure"],
    )
