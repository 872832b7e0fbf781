"""Settle what an API process left unsettled: admitted in Redis, never answered.

An API process that dies between its Redis decision and the broker's answer leaves the
record 'pending' (a quota unit or a voucher's balance held). After `older_than_s` — far
longer than an API process waits for the broker — the record is released: the caller
never got a 2xx, and a late copy of its event is voided by the stream worker, so the
unit goes back exactly once. Releasing (not completing) is the choice because the
caller's retry with the same Idempotency-Key is admitted again if stock is left.

One exception: a reversal whose refunded amount was redeemed again before the release.
Undoing it would make the balance negative, so it is completed instead: its event is
published from the records in Redis and the reversal confirmed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable

import structlog

from engine import keys
from engine.adapters.postgres import Database
from engine.adapters.redis_store import RedisStore, ReverseRequest
from engine.events import VoucherReversed
from engine.usecases.claims import release_unsettled_claim
from engine.usecases.directory import Campaigns

log = structlog.get_logger("engine.repair")


PublishReversal = Callable[[VoucherReversed], Awaitable[None]]


async def release_abandoned(
    store: RedisStore,
    db: Database,
    campaigns: Campaigns,
    cutoff_ms: int,
    publish_reversal: PublishReversal,
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
            elif state == "pending" and kind == "reversal":
                state = await _settle_reversal(
                    store, publish_reversal, campaign_id, record_id, record
                )
            if state != "released":  # settled meanwhile: only the index entry is left
                await store.forget_unsettled(record_key)
            outcomes[f"{kind} {state}"] += 1
            log.warning("unsettled record repaired", kind=kind, id=record_id, state=state)
    outcomes += await _settle_cap_reservations(store, db, cutoff_ms)
    return outcomes


async def _settle_cap_reservations(store: RedisStore, db: Database, cutoff_ms: int) -> Counter:
    """A cap is reserved in its group's slot before the admission in the campaign's: a
    process that died (or a Redis error) in between left a reservation with no claim.
    Those are given back; the ones whose claim exists are settled (the claim's own
    release, if it comes, gives its reservation back)."""
    outcomes: Counter = Counter()
    for group in await db.cap_groups():
        for r in await store.cap_unsettled_before(group["id"], cutoff_ms):
            claim = await store.claim_record(r.campaign_id, r.claim_id) if r.campaign_id else {}
            if r.amount and claim.get("state", "released") == "released":
                await store.cap_release(r.group, r.period, r.claim_id, r.worker_id)
                outcomes["cap reservation released"] += 1
                log.warning("cap reservation without a claim released", claim_id=r.claim_id)
            else:
                await store.cap_settled(r.group, r.claim_id)
                outcomes["cap reservation settled"] += 1
    return outcomes


async def _settle_reversal(
    store: RedisStore,
    publish: PublishReversal,
    campaign_id: str,
    reversal_id: str,
    record: dict[str, str],
) -> str:
    """Release the reversal, or complete it when its refund was already spent again."""
    serial, redemption_id = int(record["serial"]), record["redemption"]
    request = ReverseRequest(
        campaign_id, serial, record["merchant"], redemption_id, reversal_id, 0, 0, 0
    )
    state = await store.release_reversal(request)
    if state != "spent":
        return state
    redemption = await store.redemption_record(campaign_id, redemption_id)
    await publish(
        VoucherReversed(
            reversal_id=reversal_id,
            redemption_id=redemption_id,
            campaign_id=campaign_id,
            serial=serial,
            merchant_id=record["merchant"],
            amount_fen=int(record["amount"]),
            face_value_fen=int(redemption.get("face", 0)),
            reversed_at_ms=int(record["at_ms"]),
            store_id=redemption.get("store", ""),
        )
    )
    return await store.confirm(keys.reversal(campaign_id, reversal_id), serial)
