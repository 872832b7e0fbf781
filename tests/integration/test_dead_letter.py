"""A poison event in the log is parked on the dead-letter topic; the stream goes on."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from engine.events import CLAIM_ADMITTED, DEAD_LETTER, ClaimAdmitted
from engine.keyfiles import event_keys_of
from tests.integration.conftest import wait_for


async def test_poison_event_is_parked_and_later_claims_are_issued(http, factory, settings, db):
    poison = ClaimAdmitted(
        claim_id=f"no-such-campaign.{uuid.uuid4().hex}",
        campaign_id="no-such-campaign",
        campaign_number=999_999,
        serial=1,
        worker_id="w",
        face_value_fen=1,
        valid_until=int(time.time()) + 3600,
        admitted_at_ms=int(time.time() * 1000),
    ).signed(event_keys_of(settings))  # authentic, but for a campaign that does not exist
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(settings.topic(CLAIM_ADMITTED), poison.dumps(), key=b"p")
    finally:
        await producer.stop()

    campaign = await factory.campaign(quota=3)
    (worker,) = await factory.workers(1)
    r = await http.post(
        f"/v1/campaigns/{campaign['id']}/claims",
        headers=factory.worker_headers(worker, "after-poison"),
    )
    assert r.status_code == 201
    await wait_for(
        lambda: db.fetchval("SELECT count(*) FROM vouchers WHERE campaign_id = $1", campaign["id"])
    )

    (entry,) = (await parked(settings, {poison.claim_id})).values()
    assert entry["type"] == "ClaimAdmitted"
    assert "ForeignKeyViolation" in entry["error"]
    assert (
        await db.fetchval("SELECT count(*) FROM vouchers WHERE claim_id = $1", poison.claim_id) == 0
    )


async def parked(settings, ids: set[str]) -> dict[str, dict]:
    """The dead-letter entries of the events with these claim or redemption ids, once all
    of them are there."""
    consumer = AIOKafkaConsumer(
        settings.topic(DEAD_LETTER),
        bootstrap_servers=settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        found: dict[str, dict] = {}

        async def all_there():
            batch = await consumer.getmany(timeout_ms=500)
            for message in (m for ms in batch.values() for m in ms):
                entry = json.loads(message.value)
                event = entry["event"]
                found[event.get("claim_id") or event.get("redemption_id")] = entry
            return ids <= found.keys()

        await asyncio.wait_for(wait_for(all_there, timeout_s=30), 40)
    finally:
        await consumer.stop()
    return {i: found[i] for i in ids}
