"""Settle what an API process left unsettled: admitted in Redis, never answered.

An API process that dies between its Redis decision and the broker's answer leaves the
record 'pending' (a quota unit or a voucher's balance held). After `older_than_s` — far
longer than an API process waits for the broker — the record is released: the caller
never got a 2xx, and a late copy of its event is voided by the stream worker, so the
unit goes back exactly once. Releasing (not completing) is the choice because the
caller's retry with the same Idempotency-Key is admitted again if stock is left.
"""

from __future__ import annotations

from collections import Counter

import structlog

from engine import keys
from engine.adapters.postgres import Database
from engine.adapters.redis_store import RedisStore
from engine.usecases.claims import release_unsettled_claim
from engine.usecases.directory import Campaigns

log = structlog.get_logger("engine.repair")


async def release_abandoned(
    store: RedisStore, db: Database, campaigns: Campaigns, cutoff_ms: int
) -> Counter:
    """Release every record unsettled since before `cutoff_ms`; count outcomes by kind."""
    outcomes: Counter = Counter()
    for campaign_id in await db.campaigns_with_live_vouchers():
        record_keys = await store.unsettled_before(campaign_id, cutoff_ms)
        if not record_keys:
            continue
        campaign = await campaigns.get(campaign_id)
        for record_key in record_keys:
            kind, record_id = keys.record_of(record_key)
            record = await store.record(record_key)
            state = record.get("state", "missing")
            if state == "pending" and kind == "claim":
                state = await release_unsettled_claim(store, db, campaign, record_id, record)
            elif state == "pending" and kind == "redemption":
                state = await store.release_redemption(
                    campaign_id, int(record["serial"]), record_id
                )
            if state != "released":  # settled meanwhile: only the index entry is left
                await store.forget_unsettled(record_key)
            outcomes[f"{kind} {state}"] += 1
            log.warning("unsettled record repaired", kind=kind, id=record_id, state=state)
    return outcomes
