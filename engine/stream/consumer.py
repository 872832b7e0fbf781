"""A consumer group of the stream worker's own, read with the client library directly:
each fetch is handled whole, then its offsets are committed.

faust's `take()` stops filling an agent's buffer while the agent works on the batch it
was given, so a batch is whatever arrived during the last window, and each batch waits
for a window, its writes and its sends in turn (docs/BENCHMARKS.md). Here the client
library prefetches while a fetch is worked on.

A rebalance waits for the fetch in hand and commits it before giving partitions up; a
crash before a commit redelivers it, which every handler absorbs (issuance is idempotent
per claim, window counts per log position). A stop (SIGTERM) lets the fetch in hand
finish and commit first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from aiokafka.structs import ConsumerRecord

from engine.adapters.kafka import client_options
from engine.domain.event_auth import EventKeys
from engine.domain.windows import decoded
from engine.settings import Settings

log = structlog.get_logger("engine.stream")

Fetched = dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]

HandleFetch = Callable[[Fetched], Awaitable[None]]
# Told of every commit: (topic, partition, next offset) of each.
Committed = Callable[[list[tuple[str, int, int]]], Awaitable[None]]


class FetchConsumer:
    def __init__(
        self,
        settings: Settings,
        group: str,
        topics: list[str],
        handle: HandleFetch,
        committed: Committed | None = None,
        gather_s: float = 0.0,
    ) -> None:
        """`group`: the consumer group's name, after the topic prefix. `gather_s`: how long
        fetches are gathered into one handling (0: each fetch is handled as it comes)."""
        self.settings, self.topics, self.handle = settings, topics, handle
        self.committed, self.gather_s = committed, gather_s
        self.group = f"{settings.topic_prefix}-{group}"
        self.in_hand = asyncio.Lock()  # held while a fetch is being handled
        self._done: dict[TopicPartition, int] = {}  # handled, not yet committed
        self._consumer: AIOKafkaConsumer | None = None

    async def run(self) -> None:
        """Consume until cancelled; a broker outage restarts the consumer after a pause."""
        while True:
            try:
                await self._consume()
            except asyncio.CancelledError:
                raise
            except KafkaError as exc:
                log.warning("consumer failed, restarting", group=self.group, error=repr(exc)[:300])
                await asyncio.sleep(1.0)

    async def _consume(self) -> None:
        s = self.settings
        consumer = AIOKafkaConsumer(
            bootstrap_servers=s.kafka_bootstrap,
            group_id=self.group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=int(s.kafka_session_timeout_s * 1000),
            heartbeat_interval_ms=int(min(3.0, s.kafka_session_timeout_s / 3) * 1000),
            max_partition_fetch_bytes=4 * 1024 * 1024,
            **client_options(s),
        )
        await consumer.start()
        self._consumer = consumer
        consumer.subscribe(self.topics, listener=_CommitBeforeRevoke(self))
        try:
            while True:
                most = s.issue_batch_size * max(1, len(consumer.assignment()))
                fetched = await consumer.getmany(
                    timeout_ms=int(s.issue_batch_window_s * 1000), max_records=most
                )
                if fetched and self.gather_s:
                    await self._gather(consumer, fetched, most)
                if fetched:
                    await _finished_on_stop(self._handle_and_commit(fetched))
        finally:
            self._consumer = None
            await consumer.stop()

    async def _gather(self, consumer: AIOKafkaConsumer, fetched: Fetched, most: int) -> None:
        """Add to `fetched` what arrives within `gather_s` of it, in each partition's order,
        until it holds `most` records."""
        deadline = asyncio.get_running_loop().time() + self.gather_s
        held = sum(len(records) for records in fetched.values())
        while held < most and (left := deadline - asyncio.get_running_loop().time()) > 0:
            more = await consumer.getmany(timeout_ms=int(left * 1000) or 1, max_records=most - held)
            for tp, records in more.items():
                fetched.setdefault(tp, []).extend(records)
                held += len(records)

    async def _handle_and_commit(self, fetched: Fetched) -> None:
        async with self.in_hand:
            await self.handle(fetched)
            for tp, records in fetched.items():
                self._done[tp] = records[-1].offset + 1
        await self.commit()

    async def commit(self) -> None:
        """Commit what is handled; a commit refused by a rebalance leaves the events to be
        redelivered to whoever owns them next."""
        offsets, self._done = self._done, {}
        if not offsets or self._consumer is None:
            return
        try:
            await self._consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError) as exc:
            log.info("commit refused by a rebalance", group=self.group, error=repr(exc)[:200])
            return
        if self.committed is None:
            return
        try:
            await self.committed([(tp.topic, tp.partition, n) for tp, n in offsets.items()])
        except Exception as exc:  # noqa: BLE001 - a mark for later, never a reason to stop
            log.warning("commit not marked", group=self.group, error=repr(exc)[:200])

    @property
    def consumer(self) -> AIOKafkaConsumer | None:
        """The running consumer (None between restarts), for the lag gauge."""
        return self._consumer


async def _finished_on_stop(work: Coroutine[Any, Any, None]) -> None:
    """Run `work` to its end even if the worker is stopped meanwhile (SIGTERM): the fetch
    in hand is handled and committed, then the stop goes on. A second stop does not wait."""
    task = asyncio.ensure_future(work)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        await task
        raise


class _CommitBeforeRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, owner: FetchConsumer) -> None:
        self.owner = owner

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        async with self.owner.in_hand:  # the fetch in hand finishes first
            await self.owner.commit()

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        return None


def authentic_events(
    fetched: Fetched, names: dict[str, str], keys: EventKeys
) -> Iterator[tuple[str, ConsumerRecord[bytes, bytes], dict[str, object]]]:
    """Each event of a fetch with its name (by `names`: topic -> event name) and fields;
    forged events and fences are left out (the core role parks the forged)."""
    for tp, records in fetched.items():
        name = names[tp.topic]
        for record in records:
            fields = decoded(record.value or b"")
            if fields is not None and keys.authentic(name, fields):
                yield name, record, fields
