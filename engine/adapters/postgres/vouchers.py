"""Issued vouchers: written by the issuer, read by workers and operations, expired and revoked."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from engine.adapters.failures import translated
from engine.adapters.postgres.base import Queries
from engine.domain.rebuild import LedgerFacts, VoucherFacts
from engine.domain.short_codes import short_keys
from engine.domain.vouchers import IssuedVoucher, VoucherRow


@translated
class VoucherRecords(Queries):
    async def upsert_vouchers(self, rows: Sequence[VoucherRow]) -> list[tuple[str, str]]:
        """Write a batch idempotently; return (claim id, the code stored for it)."""
        cols = list(zip(*rows, strict=True))
        result = await self.db().fetch(self.q["upsert_vouchers"], *[list(c) for c in cols])
        return [(r["claim_id"], r["code"]) for r in result]

    async def cancel_claim(self, claim_id: str, reason: str) -> bool:
        return await self.db().fetchval(self.q["cancel_claim"], claim_id, reason) is not None

    async def voucher_by_claim(self, claim_id: str) -> IssuedVoucher | None:
        return _voucher(await self.db().fetchrow(self.q["voucher_by_claim"], claim_id))

    async def vouchers_of_worker(self, worker_id: str) -> list[IssuedVoucher]:
        rows = await self.db().fetch(self.q["vouchers_of_worker"], worker_id)
        return [IssuedVoucher(**dict(r)) for r in rows]

    async def voucher_by_serial(self, campaign_id: str, serial: int) -> IssuedVoucher | None:
        return _voucher(await self.db().fetchrow(self.q["voucher_by_serial"], campaign_id, serial))

    async def codes_by_short_code(self, short_code: str) -> list[str]:
        rows = await self.db().fetch(self.q["codes_by_short_key"], list(short_keys(short_code)))
        return [r["code"] for r in rows]

    async def revoke_voucher(self, campaign_id: str, serial: int, reason: str) -> str | None:
        """The revoked voucher's worker; None when there is no such voucher."""
        row = await self.db().fetchrow(self.q["revoke_voucher"], campaign_id, serial, reason)
        return None if row is None else str(row["worker_id"])

    async def due_for_expiry(self, now: datetime, limit: int) -> list[tuple[str, int]]:
        rows = await self.db().fetch(self.q["due_for_expiry"], now, limit)
        return [(r["campaign_id"], r["serial"]) for r in rows]

    async def mark_expired(self, vouchers: Sequence[tuple[str, int]]) -> None:
        if vouchers:
            campaigns, serials = zip(*vouchers, strict=True)
            await self.db().execute(self.q["mark_expired"], list(campaigns), list(serials))

    async def issued_claim_ids(self, claim_ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(claim_ids), 10_000):
            chunk = list(claim_ids[start : start + 10_000])
            found |= {
                r["claim_id"] for r in await self.db().fetch(self.q["issued_claim_ids"], chunk)
            }
        return found

    async def rebuild_facts(
        self, campaign_id: str
    ) -> tuple[list[VoucherFacts], list[LedgerFacts], list[str]]:
        """Vouchers, ledger entries and unused partner codes of one campaign."""
        async with self.pool.acquire() as conn:
            vouchers = await conn.fetch(self.q["rebuild_vouchers"], campaign_id)
            ledger = await conn.fetch(self.q["rebuild_ledger"], campaign_id)
            pool = await conn.fetch(self.q["unused_pool_codes"], campaign_id)
        return (
            [VoucherFacts(**dict(r)) for r in vouchers],
            [LedgerFacts(**dict(r)) for r in ledger],
            [r["code"] for r in pool],
        )


def _voucher(row: asyncpg.Record | None) -> IssuedVoucher | None:
    return None if row is None else IssuedVoucher(**dict(row))
