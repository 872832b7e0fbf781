"""Kafka adapter for the synchronous edge: produce with acks=all, bounded in time."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from engine.domain.event_auth import EventKeys
from engine.errors import Unavailable
from engine.events import DEAD_LETTER, EVENT_TYPES, Event, LogFence, LogPosition
from engine.settings import Settings


def client_options(settings: Settings) -> dict[str, str]:
    """What every aiokafka client needs to authenticate to the broker (nothing locally)."""
    if not settings.kafka_sasl_username:
        return {}
    return {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": settings.kafka_sasl_mechanism,
        "sasl_plain_username": settings.kafka_sasl_username,
        "sasl_plain_password": settings.kafka_sasl_password.get_secret_value(),
    }


class EventProducer:
    def __init__(self, settings: Settings, event_keys: EventKeys) -> None:
        self.settings, self.event_keys = settings, event_keys
        self._timeout = settings.kafka_produce_timeout_s
        self._producer = AIOKafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap,
            acks="all",
            enable_idempotence=settings.kafka_idempotent_producer,
            linger_ms=1,
            # A stream worker appends a fetch's events at once (publish_all).
            max_batch_size=settings.stream_producer_batch_bytes,
            max_request_size=max(1_048_576, 2 * settings.stream_producer_batch_bytes),
            request_timeout_ms=int(self._timeout * 1000),
            retry_backoff_ms=50,
            **client_options(settings),
        )
        self._started = False  # a command that publishes nothing never starts it

    async def start(self) -> None:
        await asyncio.wait_for(self._producer.start(), self._timeout * 2)
        self._started = True

    async def stop(self) -> None:
        if self._started:
            await self._producer.stop()

    async def publish(self, event: Event, key: str) -> LogPosition:
        """Where the broker put the event, once it acknowledged it; Unavailable otherwise.

        aiokafka bounds both the metadata wait and the delivery by request_timeout_ms,
        so a dead broker fails the call within the produce timeout.
        """
        if not self._started:
            raise Unavailable("This process does not write to the event log")
        topic = self.settings.topic(event.name)
        try:
            value = event.signed(self.event_keys).dumps()
            sent = await self._producer.send_and_wait(topic, value, key=key.encode())
        except (KafkaError, OSError) as exc:
            raise Unavailable("The event log did not acknowledge the request") from exc
        return LogPosition(event.name, int(sent.partition), int(sent.offset))

    async def publish_all(self, events: Sequence[tuple[Event, str]]) -> None:
        """Each event handed to the producer's batches without a wait of its own, then
        every acknowledgement awaited at once: a fetch's voucher.issued events go out in a
        few produce requests."""
        if not self._started:
            raise Unavailable("This process does not write to the event log")
        keys, topic = self.event_keys, self.settings.topic
        try:
            acks = [
                await self._producer.send(topic(e.name), e.signed(keys).dumps(), key=k.encode())
                for e, k in events
            ]
            await asyncio.gather(*acks)
        except (KafkaError, OSError) as exc:
            raise Unavailable("The event log did not acknowledge the events") from exc

    async def partitions(self, event_name: str) -> list[int]:
        """The partitions of an event's topic, as the brokers' metadata says now."""
        try:
            found = await self._producer.partitions_for(self.settings.topic(event_name))
        except (KafkaError, OSError) as exc:
            raise Unavailable("The event log's metadata cannot be read") from exc
        return sorted(found)

    async def place(self, fence: LogFence) -> int:
        """Append a signed fence to its partition; its offset once acknowledged."""
        topic = self.settings.topic(fence.topic)
        try:
            sent = await self._producer.send_and_wait(
                topic, fence.signed(self.event_keys).dumps(), partition=fence.partition
            )
        except (KafkaError, OSError) as exc:
            raise Unavailable("The event log did not acknowledge a fence") from exc
        return int(sent.offset)

    async def ensure_topics(self) -> None:
        await ensure_topics(self.settings)


def topic_spec(settings: Settings, topic: str) -> NewTopic:
    """A topic with the configured partitions and copies; with more than one copy, an
    acknowledged event is on `topic_min_insync_replicas` brokers."""
    configs = {}
    if settings.topic_replication_factor > 1:
        configs["min.insync.replicas"] = str(settings.topic_min_insync_replicas)
    return NewTopic(
        topic,
        settings.topic_partitions,
        settings.topic_replication_factor,
        topic_configs=configs,
    )


async def ensure_topics(settings: Settings, names: tuple[str, ...] = ()) -> list[str]:
    """Create the engine's topics (or the named ones) if missing; return those created now."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap, **client_options(settings)
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [settings.topic(name) for name in (names or (*EVENT_TYPES, DEAD_LETTER))]
        missing = [t for t in wanted if t not in existing]
        for topic in missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics([topic_spec(settings, topic)])
        return missing
    finally:
        await admin.close()


async def read_log(
    settings: Settings, event_name: str, idle_s: float = 1.5
) -> list[tuple[int, int, bytes]]:
    """Every event on a topic from the beginning, as (partition, offset, value), without a
    consumer group.

    Reads until no event arrives for `idle_s`: the local broker reports end offsets
    wrongly, so 'caught up' is judged by silence rather than by offsets. The log fences
    the stream workers keep placing are left out, and do not count as something new.
    """
    # Without a group there are no committed offsets: every partition is read from the start.
    consumer = AIOKafkaConsumer(
        settings.topic(event_name),
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **client_options(settings),
    )
    await consumer.start()
    loop = asyncio.get_running_loop()
    try:
        events: list[tuple[int, int, bytes]] = []
        quiet_until = loop.time() + idle_s
        while (left := quiet_until - loop.time()) > 0:
            batches = await consumer.getmany(timeout_ms=int(left * 1000), max_records=10_000)
            for records in batches.values():
                found = [(r.partition, r.offset, r.value) for r in records]
                found = [e for e in found if e[2] and LogFence.recognise(e[2]) is None]
                if found:
                    events += found
                    quiet_until = loop.time() + idle_s
        return events
    finally:
        await consumer.stop()


class KafkaLog:
    """The event log read whole, for reconciliation."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def read(self, event_name: str) -> list[tuple[int, int, bytes]]:
        return await read_log(self.settings, event_name)
