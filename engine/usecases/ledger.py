"""The ledger: redemptions and reversals become hash-chained ledger rows, each with its
merchant's notification queued and the day's settlement statement rebuilt, all in one
transaction. The stream agents 'ledger' and 'ledger-reversals' run it on each batch."""

from __future__ import annotations

import json
from collections.abc import Sequence

from engine.domain.clock import utc_from_ms
from engine.domain.ledger import Entry
from engine.domain.periods import UNION_TZ
from engine.domain.settlement import VOID_STATES, Decision
from engine.events import VoucherRedeemed, VoucherReversed
from engine.metrics import LEDGER_ENTRIES
from engine.usecases.ports import LedgerRecords, Settlement


def redemption_entry(e: VoucherRedeemed) -> Entry:
    return Entry(
        entry_id=e.redemption_id,
        kind="redemption",
        merchant_id=e.merchant_id,
        campaign_id=e.campaign_id,
        serial=e.serial,
        amount_fen=e.amount_fen or e.face_value_fen,
        face_value_fen=e.face_value_fen,
        occurred_ms=e.redeemed_at_ms,
        store_id=e.store_id or None,
        terminal_id=e.terminal_id or None,
        request_id=e.request_id or None,
    )


def reversal_entry(e: VoucherReversed) -> Entry:
    return Entry(
        entry_id=e.reversal_id,
        kind="reversal",
        merchant_id=e.merchant_id,
        campaign_id=e.campaign_id,
        serial=e.serial,
        amount_fen=-e.amount_fen,
        face_value_fen=e.face_value_fen,
        occurred_ms=e.reversed_at_ms,
        reverses=e.redemption_id,
        store_id=e.store_id or None,
        terminal_id=e.terminal_id or None,
        request_id=e.request_id or None,
    )


def webhook_body(e: Entry) -> str:
    kind = _event_type(e)
    data = {
        "entry_id": e.entry_id,
        "campaign_id": e.campaign_id,
        "serial": e.serial,
        "amount_fen": abs(e.amount_fen),
        "face_value_fen": e.face_value_fen,
        "occurred_at": utc_from_ms(e.occurred_ms).isoformat(),
        "reverses": e.reverses,
        "store_id": e.store_id,
        "terminal_id": e.terminal_id,
    }
    return json.dumps({"id": e.entry_id, "type": kind, "data": data}, sort_keys=True)


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
        days = sorted(
            {
                (e.merchant_id, utc_from_ms(e.occurred_ms).astimezone(UNION_TZ).date())
                for e in entries
            }
        )
        links = await self.records.record_ledger(entries, webhooks, days)
        for link in links:
            LEDGER_ENTRIES.labels(link.entry.kind).inc()
        return [link.entry.entry_id for link in links]


def _decision(e: VoucherRedeemed | VoucherReversed) -> Decision:
    if isinstance(e, VoucherRedeemed):
        return Decision("redemption", e.campaign_id, e.redemption_id)
    return Decision("reversal", e.campaign_id, e.reversal_id)


def _event_type(e: Entry) -> str:
    return "voucher.redeemed" if e.kind == "redemption" else "voucher.reversed"
