"""Expiry: vouchers past their validity become expired and their stock reclaimable.
The stream timer 'expire' runs it."""

from __future__ import annotations

from datetime import datetime

import structlog

from engine.usecases.ports import LiveDefinitions, VoucherRecords

log = structlog.get_logger("engine.expiry")


async def expire_due(
    live: LiveDefinitions, vouchers: VoucherRecords, now: datetime, batch: int = 1000
) -> int:
    """Expire what is due, a batch at a time; return how many this call reclaimed.

    Redis first (once per voucher, counted as reclaimed stock), then PostgreSQL:
    a crash in between leaves rows the next run finds and marks without counting twice.
    """
    total = 0
    while True:
        due = await vouchers.due_for_expiry(now, batch)
        if not due:
            return total
        reclaimed = await live.expire_many(due)
        await vouchers.mark_expired(due)
        total += sum(reclaimed)
        log.info("vouchers expired", count=len(due), reclaimed=sum(reclaimed))
        if len(due) < batch:
            return total
