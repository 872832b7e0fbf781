"""A poison event in the log is parked on the dead-letter topic; the stream goes on."""

from __future__ import annotations

import time
import uuid

from aiokafka import AIOKafkaProducer

from engine.events import CLAIM_ADMITTED, ClaimAdmitted
from engine.keyfiles import event_keys_of
from tests.helpers.books import parked
from tests.helpers.waiting import wait_for


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
