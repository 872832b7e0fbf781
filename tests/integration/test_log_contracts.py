"""The event log's contract (EventPublisher, EventLog, LogFences), run against the broker
and the in-memory log: where an acknowledged event lands, what reading the log back
gives (fences left out), and fences placed on the partition they name. On a topic of its
own, so no stream worker consumes what the cases publish."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import ClassVar

import pytest

from engine.adapters.kafka import EventProducer, KafkaLog, ensure_topics
from engine.adapters.memory import MemoryLog
from engine.events import ClaimAdmitted, LogFence
from engine.keyfiles import event_keys_of

TOPIC = "contract-log"


@dataclass(slots=True, kw_only=True)
class ContractEvent(ClaimAdmitted):
    name: ClassVar[str] = TOPIC


@dataclass
class Log:
    publisher: EventProducer | MemoryLog
    reader: KafkaLog | MemoryLog


@pytest.fixture(params=["memory", "broker"])
async def log(request, settings) -> AsyncIterator[Log]:
    keys = event_keys_of(settings)
    if request.param == "memory":
        memory = MemoryLog(keys, settings.topic_partitions)
        yield Log(memory, memory)
        return
    await ensure_topics(settings, (TOPIC,))
    producer = EventProducer(settings, keys)
    await producer.start()
    yield Log(producer, KafkaLog(settings))
    await producer.stop()


def event(claim_id: str) -> ContractEvent:
    return ContractEvent(
        claim_id=claim_id,
        campaign_id="contract",
        campaign_number=1,
        serial=1,
        worker_id="w1",
        face_value_fen=300,
        valid_until=2**31,
        admitted_at_ms=1,
    )


async def test_events_land_in_order_per_key_and_read_back_without_fences(log):
    run = uuid.uuid4().hex[:8]
    key = f"w-{run}"
    first = await log.publisher.publish(event(f"{run}.1"), key)
    second = await log.publisher.publish(event(f"{run}.2"), key)
    assert first.topic == TOPIC and second.partition == first.partition  # one key, one partition
    assert second.offset > first.offset
    partitions = await log.publisher.partitions(TOPIC)
    assert first.partition in partitions
    fence = LogFence(fence_id=run, topic=TOPIC, partition=partitions[-1], at_ms=1)
    assert await log.publisher.place(fence) >= 0
    mine = [
        (partition, offset)
        for partition, offset, value in await log.reader.read(TOPIC)
        if run.encode() in value
    ]
    assert mine == [(first.partition, first.offset), (first.partition, second.offset)]


async def test_events_published_together_are_all_acknowledged_in_order_per_key(log, settings):
    run = uuid.uuid4().hex[:8]
    keys = [f"w-{run}-{n % 3}" for n in range(30)]
    events = [(event(f"{run}.{n}"), key) for n, key in enumerate(keys)]
    await log.publisher.publish_all(events)
    found = [
        (partition, offset, ContractEvent.loads(value))
        for partition, offset, value in await log.reader.read(TOPIC)
        if run.encode() in value
    ]
    assert sorted(e.claim_id for _, _, e in found) == sorted(e.claim_id for e, _ in events)
    assert all(e.authentic(event_keys_of(settings)) for _, _, e in found)
    for key in set(keys):
        sent = [e.claim_id for e, k in events if k == key]
        landed = sorted((p, o, e.claim_id) for p, o, e in found if e.claim_id in sent)
        assert len({p for p, _, _ in landed}) == 1  # one key, one partition
        assert [claim_id for _, _, claim_id in landed] == sent  # in the order given
