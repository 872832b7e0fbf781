"""The merchants' hash-chained ledger and the settlement statements built from it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple
from datetime import date, datetime
from typing import Any

import asyncpg

from engine.adapters.failures import translated
from engine.adapters.postgres.base import Queries, decoded, ms_from_utc, utc_from_ms
from engine.domain.ledger import Entry, Link, extend
from engine.domain.listings import SettlementDay, TillRedemption, VoucherLedgerEntry
from engine.domain.statements import day_totals
from engine.domain.webhooks import WebhookItem


@translated
class LedgerRecords(Queries):
    async def campaign_ledger(
        self, campaign_id: str, start: datetime, end: datetime
    ) -> list[tuple[datetime, int]]:
        rows = await self.db().fetch(self.q["campaign_ledger"], campaign_id, start, end)
        return [(r["occurred_at"], r["amount_fen"]) for r in rows]

    async def record_ledger(
        self,
        entries: Sequence[Entry],
        webhooks: Sequence[WebhookItem],
    ) -> list[Link]:
        """In one transaction: chain and insert the entries not yet in the ledger, queue
        the merchants' notifications (repeats ignored) and add the new entries to their
        settlement days. Return the entries new to the ledger."""
        async with self.transaction() as conn:
            links = await self._append(conn, entries)
            if webhooks:
                cols = [list(c) for c in zip(*webhooks, strict=True)]
                await conn.execute(self.q["enqueue_webhooks"], *cols)
            totals = day_totals(link.entry for link in links)
            if totals:
                cols = [list(c) for c in zip(*(astuple(t) for t in totals), strict=True)]
                await conn.execute(self.q["add_to_settlement_days"], *cols)
            return links

    async def _append(self, conn: asyncpg.Connection, entries: Sequence[Entry]) -> list[Link]:
        if not entries:
            return []
        merchants = sorted({e.merchant_id for e in entries})
        await conn.execute(self.q["ensure_ledger_heads"], merchants)
        heads = {
            r["merchant_id"]: (r["seq"], r["hash"])
            for r in await conn.fetch(self.q["lock_ledger_heads"], merchants)
        }
        present = {
            r["entry_id"]
            for r in await conn.fetch(self.q["existing_entries"], [e.entry_id for e in entries])
        }
        links: list[Link] = []
        for merchant in merchants:
            new = [e for e in entries if e.merchant_id == merchant and e.entry_id not in present]
            chained = extend(*heads[merchant], _unique(new))
            if chained:
                await conn.execute(
                    self.q["set_ledger_head"], merchant, chained[-1].seq, chained[-1].hash
                )
            links += chained
        if links:
            await conn.execute(self.q["insert_ledger_entries"], *_ledger_columns(links))
        return links

    async def ledger_entry_ids(self, entry_ids: Sequence[str]) -> set[str]:
        rows = await self.db().fetch(self.q["existing_entries"], list(entry_ids))
        return {r["entry_id"] for r in rows}

    async def ledger_chain(self, merchant_id: str | None = None) -> list[Link]:
        return ledger_links(await self.db().fetch(self.q["ledger_chain"], merchant_id))

    async def ledger_of_voucher(self, campaign_id: str, serial: int) -> list[VoucherLedgerEntry]:
        rows = await self.db().fetch(self.q["ledger_of_voucher"], campaign_id, serial)
        return decoded(VoucherLedgerEntry, rows)

    async def settlements(self, merchant_id: str, first: date, last: date) -> list[SettlementDay]:
        rows = await self.db().fetch(self.q["settlements"], merchant_id, first, last)
        return decoded(SettlementDay, rows)

    async def store_redemptions(
        self, merchant_id: str, store_id: str | None, start: datetime, end: datetime, most: int
    ) -> list[TillRedemption]:
        q = self.q["store_redemptions"]
        return decoded(
            TillRedemption, await self.db().fetch(q, merchant_id, store_id, start, end, most)
        )


def ledger_links(rows: Sequence[asyncpg.Record]) -> list[Link]:
    return [
        Link(
            Entry(
                entry_id=r["entry_id"],
                kind=r["kind"],
                merchant_id=r["merchant_id"],
                campaign_id=r["campaign_id"],
                serial=r["serial"],
                amount_fen=r["amount_fen"],
                face_value_fen=r["face_value_fen"],
                occurred_ms=ms_from_utc(r["occurred_at"]),
                reverses=r["reverses"],
                store_id=r["store_id"],
                terminal_id=r["terminal_id"],
                order_fen=r["order_fen"],
            ),
            r["seq"],
            r["prev_hash"],
            r["hash"],
        )
        for r in rows
    ]


def _unique(entries: Sequence[Entry]) -> list[Entry]:
    return list({e.entry_id: e for e in entries}.values())


def _ledger_columns(links: Sequence[Link]) -> list[list[Any]]:
    rows = [
        (
            link.entry.entry_id,
            link.entry.kind,
            link.entry.merchant_id,
            link.seq,
            link.entry.campaign_id,
            link.entry.serial,
            link.entry.amount_fen,
            link.entry.face_value_fen,
            link.entry.reverses,
            link.entry.store_id,
            link.entry.terminal_id,
            utc_from_ms(link.entry.occurred_ms),
            link.prev_hash,
            link.hash,
            link.entry.request_id,
            link.entry.order_fen,
        )
        for link in links
    ]
    return [list(c) for c in zip(*rows, strict=True)]
