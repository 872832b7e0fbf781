"""The issuer commits its offsets only for what it issued, and everything it issued."""

from __future__ import annotations

import asyncio
from collections import Counter

from aiokafka import AIOKafkaConsumer, TopicPartition

from engine.adapters.kafka import client_options, read_log
from engine.events import CLAIM_ADMITTED
from tests.helpers.waiting import wait_for


async def _committed(settings, group: str, partitions: set[int]) -> dict[int, int]:
    """The group's committed offsets, read without joining it."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=group,
        enable_auto_commit=False,
        **client_options(settings),
    )
    await consumer.start()
    try:
        topic = settings.topic(CLAIM_ADMITTED)
        found = {p: await consumer.committed(TopicPartition(topic, p)) for p in partitions}
        return {p: offset for p, offset in found.items() if offset is not None}
    finally:
        await consumer.stop()


async def test_once_a_backlog_is_issued_the_issuer_has_committed_all_of_it(
    http, factory, db, settings, engine
):
    campaign = await factory.campaign(quota=40)
    workers = await factory.workers(40)
    url = f"/v1/campaigns/{campaign['id']}/claims"
    answers = await asyncio.gather(
        *(http.post(url, headers=factory.worker_headers(w, "k")) for w in workers)
    )
    assert Counter(r.status_code for r in answers) == {201: 40}
    count = "SELECT count(*) FROM vouchers WHERE campaign_id = $1"
    await wait_for(lambda: _equals(db.fetchval(count, campaign["id"]), 40), timeout_s=60)

    # Every claim.admitted on the log so far (this session's topic): a restarted issuer
    # must start past each partition's last one (the log fences placed since may already
    # be committed beyond it).
    log = await read_log(settings, CLAIM_ADMITTED)
    ends = {p: max(o for q, o, _ in log if q == p) + 1 for p in {p for p, _, _ in log}}
    group = f"{settings.topic_prefix}-issuer"

    async def past_every_claim() -> bool:
        committed = await _committed(settings, group, set(ends))
        return all(committed.get(p, 0) >= end for p, end in ends.items())

    await wait_for(past_every_claim, timeout_s=30)


async def _equals(value, expected) -> bool:
    return await value == expected
