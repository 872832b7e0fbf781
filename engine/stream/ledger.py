"""The ledger agents: voucher.redeemed and voucher.reversed -> hash-chained ledger rows,
statements and webhooks (engine/usecases/ledger.py), a batch at a time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from engine.events import VoucherRedeemed, VoucherReversed
from engine.stream import fences
from engine.stream.batches import run_batch
from engine.stream.gate import Gate
from engine.stream.resources import LazyResources

# What the ledger agents apply.
Entry = TypeVar("Entry", VoucherRedeemed, VoucherReversed)


class LedgerAgent:
    """Applies raw batches of one topic; faust-free, so a test drives it directly."""

    def __init__(self, resources: LazyResources, gate: Gate) -> None:
        self.resources, self.gate = resources, gate

    async def apply(self, name: str, raws: Sequence[bytes], record: type[Entry]) -> None:
        raws, met = fences.split(raws, self.gate.keys)
        events = await self.gate.authentic(raws, record)
        await run_batch(name, events, self._record, self.gate.park)
        await fences.passed((await self.resources.get()).decisions.log_marks, met)

    async def _record(self, events: Sequence[VoucherRedeemed | VoucherReversed]) -> list[str]:
        return await (await self.resources.get()).ledger.record(events)
