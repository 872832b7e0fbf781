"""The issuer: claim.admitted -> vouchers -> voucher.issued, on a consumer of its own
(consumer.py).

A fetch (up to `issue_batch_size` claims per assigned partition, what arrives within
`stream_gather_s` gathered into it) is cut into batches of that size, one partition's
each, which are issued at once; the offsets are committed once
every batch of the fetch is issued, and the log fences met are recorded as passed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from engine.events import CLAIM_ADMITTED, ClaimAdmitted, VoucherIssued
from engine.settings import Settings
from engine.stream import fences
from engine.stream.batches import run_batch
from engine.stream.consumer import FetchConsumer, Fetched
from engine.stream.gate import Gate
from engine.stream.resources import LazyResources

# Appends voucher.issued events, (event, key) each, and waits for the log's acknowledgement.
PublishIssued = Callable[[Sequence[tuple[VoucherIssued, str]]], Awaitable[None]]


class Issuer:
    """Issues raw batches of claim.admitted; faust-free, so a test drives it directly."""

    def __init__(self, resources: LazyResources, gate: Gate, publish: PublishIssued) -> None:
        self.resources, self.gate, self.publish = resources, gate, publish

    async def issue_raw(self, raws: Sequence[bytes]) -> None:
        raws, met = fences.split(raws, self.gate.keys)
        events = await self.gate.authentic(raws, ClaimAdmitted)
        issued = await run_batch("issue", events, self._issue, self.gate.park)
        # Appended together and acknowledged together: awaited one by one, a batch's
        # sends took longer than its database and Redis writes (docs/BENCHMARKS.md).
        # A log that does not acknowledge them is waited for, as a database down is.
        await run_batch("issued", [(e, e.claim_id) for e in issued], self._publish, self._park)
        await fences.passed((await self.resources.get()).decisions.log_marks, met)

    async def committed(self, offsets: list[tuple[str, int, int]]) -> None:
        marks = [(partition, offset) for _, partition, offset in offsets]
        await (await self.resources.get()).decisions.log_marks.consumed(CLAIM_ADMITTED, marks)

    async def _publish(self, issued: Sequence[tuple[VoucherIssued, str]]) -> list[None]:
        await self.publish(issued)
        return []

    async def _park(self, issued: tuple[VoucherIssued, str], exc: BaseException) -> None:
        await self.gate.park(issued[0], exc)

    async def _issue(self, events: Sequence[ClaimAdmitted]) -> list[VoucherIssued]:
        return await (await self.resources.get()).issuance.issue(events)

    def consumer(self, settings: Settings) -> FetchConsumer:
        size = settings.issue_batch_size

        async def issue_fetch(fetched: Fetched) -> None:
            batches = [
                records[i : i + size]
                for records in fetched.values()
                for i in range(0, len(records), size)
            ]
            await asyncio.gather(*(self.issue_raw([r.value or b"" for r in b]) for b in batches))

        topic = settings.topic(CLAIM_ADMITTED)
        return FetchConsumer(
            settings,
            "issuer",
            [topic],
            issue_fetch,
            self.committed,
            gather_s=settings.stream_gather_s,
        )
