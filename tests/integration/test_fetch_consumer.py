"""The stream worker's own consumer, on the real broker: a gathering consumer (the cash-out
watch's) hands what arrives within its window over in one handling, each event once and
in its partition's order."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaProducer, TopicPartition

from engine.adapters.kafka import client_options, ensure_topics
from engine.stream.consumer import FetchConsumer, Fetched
from tests.helpers.waiting import wait_for

# Far longer than a produce to the local broker takes: the second lot is sent well within it.
GATHER_S = 5.0


async def test_a_gathering_consumer_hands_what_arrives_in_its_window_over_once(settings):
    name = f"gather-{uuid.uuid4().hex[:8]}"
    await ensure_topics(settings, (name,))
    topic = settings.topic(name)
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap, acks="all", **client_options(settings)
    )
    await producer.start()
    handlings: list[dict[int, list[bytes]]] = []

    async def handle(fetched: Fetched) -> None:
        handlings.append({tp.partition: [r.value or b"" for r in rs] for tp, rs in fetched.items()})

    async def send(lot: str) -> None:
        for i in range(20):
            await producer.send_and_wait(topic, f"{lot}-{i:02}".encode(), key=str(i).encode())

    consumer = FetchConsumer(settings, f"test-{name}", [topic], handle, gather_s=GATHER_S)
    running = asyncio.ensure_future(consumer.run())
    try:
        await send("first")

        async def fetched_once() -> bool:
            held = consumer.consumer
            if held is None or not held.assignment():
                return False
            positions = [await held.position(TopicPartition(topic, p)) for p in _parts(held)]
            return sum(p or 0 for p in positions) > 0

        await wait_for(fetched_once, timeout_s=60)
        # The first fetch is in hand and still gathering: this lot joins its handling.
        await send("second")
        await wait_for(lambda: _ready(sum(len(v) for h in handlings for v in h.values()) >= 40))
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await producer.stop()

    assert len(handlings) == 1, [sorted(h) for h in handlings]
    values = [v for per_partition in handlings[0].values() for v in per_partition]
    assert sorted(values) == sorted(
        f"{lot}-{i:02}".encode() for lot in ("first", "second") for i in range(20)
    )
    for per_partition in handlings[0].values():
        # Within a partition, the first lot's events come before the second's, each in order.
        assert per_partition == sorted(per_partition, key=lambda v: (v.startswith(b"second"), v))


def _parts(consumer) -> list[int]:
    return [tp.partition for tp in consumer.assignment()]


async def _ready(value: bool) -> bool:
    return value
