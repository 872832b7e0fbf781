"""Agents 'ledger' and 'ledger-reversals': redemptions and reversals become hash-chained
ledger rows, and the merchants' daily settlement statements are rebuilt from them."""

from __future__ import annotations

import json
from collections.abc import Sequence

from engine import keys
from engine.adapters.postgres import utc_from_ms
from engine.domain.ledger import Entry
from engine.domain.periods import UNION_TZ
from engine.events import VoucherRedeemed, VoucherReversed
from engine.metrics import LEDGER_ENTRIES
from engine.stream.issue import VOID_STATES
from engine.stream.resources import Resources


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
    kind = "voucher.redeemed" if e.kind == "redemption" else "voucher.reversed"
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


async def record_batch(
    r: Resources, events: Sequence[VoucherRedeemed | VoucherReversed]
) -> list[str]:
    """Append a batch idempotently; return the entry ids new to the ledger."""
    records = [
        (keys.redemption(e.campaign_id, e.redemption_id), e.serial)
        if isinstance(e, VoucherRedeemed)
        else (keys.reversal(e.campaign_id, e.reversal_id), e.serial)
        for e in events
    ]
    taken = await r.store.take_many(records)
    entries = [
        redemption_entry(e) if isinstance(e, VoucherRedeemed) else reversal_entry(e)
        for e, state in zip(events, taken, strict=True)
        if state not in VOID_STATES
    ]
    links = await r.db.append_ledger(entries)
    # Every entry of the batch, not only the new ones: a replay after a crash between the
    # two writes must still queue the notification (the queue ignores repeats).
    await r.db.enqueue_webhooks(
        [
            (
                e.merchant_id,
                e.entry_id,
                f"voucher.{'redeemed' if e.kind == 'redemption' else 'reversed'}",
                webhook_body(e),
            )
            for e in entries
        ]
    )
    days = sorted(
        {(e.merchant_id, utc_from_ms(e.occurred_ms).astimezone(UNION_TZ).date()) for e in entries}
    )
    await r.db.rebuild_settlement_days(days)
    for link in links:
        LEDGER_ENTRIES.labels(link.entry.kind).inc()
    return [link.entry.entry_id for link in links]
