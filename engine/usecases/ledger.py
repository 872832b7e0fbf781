"""The ledger: redemptions and reversals become hash-chained ledger rows, each with its
merchant's notification queued and added to its day's settlement statement, all in one
transaction. The stream worker's ledger consumer (engine/stream/ledger.py) runs it on
each fetch."""

from __future__ import annotations

import json
from collections.abc import Sequence

from engine.domain.clock import utc_from_ms
from engine.domain.ledger import Entry
from engine.domain.settlement import VOID_STATES, Decision
from engine.events import VoucherRedeemed, VoucherReversed
from engine.metrics import LEDGER_ENTRIES
from engine.usecases.ports import LedgerRecords, Settlement


def redemption_entry(event: VoucherRedeemed) -> Entry:
    return Entry(
        entry_id=event.redemption_id,
        kind="redemption",
        merchant_id=event.merchant_id,
        campaign_id=event.campaign_id,
        serial=event.serial,
        amount_fen=event.amount_fen or event.face_value_fen,
        face_value_fen=event.face_value_fen,
        occurred_ms=event.redeemed_at_ms,
        store_id=event.store_id or None,
        terminal_id=event.terminal_id or None,
        request_id=event.request_id or None,
        order_fen=event.order_fen or None,
    )


def reversal_entry(event: VoucherReversed) -> Entry:
    return Entry(
        entry_id=event.reversal_id,
        kind="reversal",
        merchant_id=event.merchant_id,
        campaign_id=event.campaign_id,
        serial=event.serial,
        amount_fen=-event.amount_fen,
        face_value_fen=event.face_value_fen,
        occurred_ms=event.reversed_at_ms,
        reverses=event.redemption_id,
        store_id=event.store_id or None,
        terminal_id=event.terminal_id or None,
        request_id=event.request_id or None,
        order_fen=event.order_fen or None,
    )


def webhook_body(entry: Entry) -> str:
    kind = _event_type(entry)
    data = {
        "entry_id": entry.entry_id,
        "campaign_id": entry.campaign_id,
        "serial": entry.serial,
        "amount_fen": abs(entry.amount_fen),
        "face_value_fen": entry.face_value_fen,
        "occurred_at": utc_from_ms(entry.occurred_ms).isoformat(),
        "reverses": entry.reverses,
        "store_id": entry.store_id,
        "terminal_id": entry.terminal_id,
        "order_fen": entry.order_fen,
    }
    return json.dumps({"id": entry.entry_id, "type": kind, "data": data}, sort_keys=True)


class Ledger:
    def __init__(self, *, settlement: Settlement, records: LedgerRecords) -> None:
        self.settlement, self.records = settlement, records

    async def record(self, events: Sequence[VoucherRedeemed | VoucherReversed]) -> list[str]:
        """Append a batch idempotently; return the entry ids new to the ledger."""
        taken = await self.settlement.take_many([(_decision(e), e.serial) for e in events])
        entries = [
            redemption_entry(e) if isinstance(e, VoucherRedeemed) else reversal_entry(e)
            for e, state in zip(events, taken, strict=True)
            if state not in VOID_STATES
        ]
        # Every entry of the batch, not only the new ones: a replay must still queue the
        # notification (the queue ignores repeats).
        webhooks = [(e.merchant_id, e.entry_id, _event_type(e), webhook_body(e)) for e in entries]
        links = await self.records.record_ledger(entries, webhooks)
        for link in links:
            LEDGER_ENTRIES.labels(link.entry.kind).inc()
        return [link.entry.entry_id for link in links]


def _decision(event: VoucherRedeemed | VoucherReversed) -> Decision:
    if isinstance(event, VoucherRedeemed):
        return Decision("redemption", event.campaign_id, event.redemption_id)
    return Decision("reversal", event.campaign_id, event.reversal_id)


def _event_type(entry: Entry) -> str:
    return "voucher.redeemed" if entry.kind == "redemption" else "voucher.reversed"
