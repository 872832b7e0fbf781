"""Agent 'ledger': voucher.redeemed -> one row per redemption in the PostgreSQL ledger."""

from __future__ import annotations

from collections.abc import Sequence

from engine import keys
from engine.adapters.postgres import utc_from_ms
from engine.events import VoucherRedeemed
from engine.stream.issue import VOID_STATES
from engine.stream.resources import Resources


async def record_batch(r: Resources, events: Sequence[VoucherRedeemed]) -> list[str]:
    """Write a batch of redemptions idempotently; return the redemption ids new to the ledger."""
    taken = await r.store.take_many(
        [(keys.redemption(e.campaign_id, e.redemption_id), e.serial) for e in events]
    )
    live = [e for e, state in zip(events, taken, strict=True) if state not in VOID_STATES]
    if not live:
        return []
    rows = [
        (
            e.redemption_id,
            e.campaign_id,
            e.serial,
            e.merchant_id,
            e.face_value_fen,
            utc_from_ms(e.redeemed_at_ms),
        )
        for e in live
    ]
    written = await r.db.insert_redemptions(rows)
    return [e.redemption_id for e in live if e.redemption_id in written]
