"""The issuer's consumer: claim.admitted -> vouchers, read from the log without faust's
stream machinery.

faust's `take()` stops filling an agent's buffer while the agent works on the batch it
was given, so a batch is whatever arrived during the last window, and each batch waits
for a window, its Redis and PostgreSQL writes (each an fsync) and its sends in turn
(docs/BENCHMARKS.md). Here the client library prefetches while a fetch is worked on, a
fetch (up to `issue_batch_size` claims per assigned partition) is cut into batches of
that size which are issued at once, and the offsets are committed only once every batch
of the fetch is issued.

A rebalance waits for the batches in hand and commits them before giving partitions up;
a crash before a commit redelivers them, which issuance absorbs (it is idempotent per
claim). The consumer group is the worker's own, beside faust's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from aiokafka.structs import ConsumerRecord

from engine.adapters.kafka import client_options
from engine.events import CLAIM_ADMITTED
from engine.settings import Settings

log = structlog.get_logger("engine.stream")

# What issuing a partition's batch of raw claim.admitted events takes.
IssueBatch = Callable[[Sequence[bytes]], Awaitable[None]]
Offsets = dict[TopicPartition, int]
# Told of every commit: (partition, next offset) pairs.
Committed = Callable[[list[tuple[int, int]]], Awaitable[None]]


class IssueConsumer:
    def __init__(self, settings: Settings, issue: IssueBatch, committed: Committed) -> None:
        self.settings, self.issue, self.committed = settings, issue, committed
        self.topic = settings.topic(CLAIM_ADMITTED)
        self.group = f"{settings.topic_prefix}-issuer"
        self._in_hand = asyncio.Lock()  # held while a fetch's batches are being issued
        self._done: Offsets = {}  # issued, not yet committed
        self._consumer: AIOKafkaConsumer | None = None

    async def run(self) -> None:
        """Issue until cancelled; a broker outage restarts the consumer after a pause."""
        while True:
            try:
                await self._consume()
            except asyncio.CancelledError:
                raise
            except KafkaError as exc:
                log.warning("issuer consumer failed, restarting", error=repr(exc)[:300])
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
        consumer.subscribe([self.topic], listener=_CommitBeforeRevoke(self))
        try:
            while True:
                fetched = await consumer.getmany(
                    timeout_ms=int(s.issue_batch_window_s * 1000),
                    max_records=s.issue_batch_size * max(1, len(consumer.assignment())),
                )
                if fetched:
                    await _finished_on_stop(self._issue_and_commit(fetched))
        finally:
            self._consumer = None
            await consumer.stop()

    async def _issue_fetch(
        self, fetched: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]
    ) -> None:
        async with self._in_hand:
            batches = [
                records[i : i + self.settings.issue_batch_size]
                for records in fetched.values()
                for i in range(0, len(records), self.settings.issue_batch_size)
            ]
            await asyncio.gather(*(self.issue([r.value or b"" for r in b]) for b in batches))
            for tp, records in fetched.items():
                self._done[tp] = records[-1].offset + 1

    async def _issue_and_commit(
        self, fetched: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]
    ) -> None:
        await self._issue_fetch(fetched)
        await self.commit()

    async def commit(self) -> None:
        """Commit what is issued; a commit refused by a rebalance leaves the events to be
        redelivered to whoever owns them next (issuance is idempotent)."""
        offsets, self._done = self._done, {}
        if not offsets or self._consumer is None:
            return
        try:
            await self._consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError) as exc:
            log.info("issuer commit refused by a rebalance", error=repr(exc)[:200])
            return
        try:
            await self.committed([(tp.partition, offset) for tp, offset in offsets.items()])
        except Exception as exc:  # noqa: BLE001 - a mark for later, never a reason to stop
            log.warning("issuer commit not marked", error=repr(exc)[:200])

    @property
    def consumer(self) -> AIOKafkaConsumer | None:
        """The running consumer (None between restarts), for the lag gauge."""
        return self._consumer


async def _finished_on_stop(work: Coroutine[Any, Any, None]) -> None:
    """Run `work` to its end even if the worker is stopped meanwhile (SIGTERM): the fetch
    in hand is issued and committed, then the stop goes on. A second stop does not wait."""
    task = asyncio.ensure_future(work)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        await task
        raise


class _CommitBeforeRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, issuer: IssueConsumer) -> None:
        self.issuer = issuer

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        async with self.issuer._in_hand:  # the batches in hand finish first
            await self.issuer.commit()

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        return None
