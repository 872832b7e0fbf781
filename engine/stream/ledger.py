"""The ledger: voucher.redeemed and voucher.reversed -> hash-chained ledger rows,
statements and webhooks (engine/usecases/ledger.py), a burst's fetches gathered into one
transaction, on a consumer of its own (consumer.py): faust's stream machinery cost more
per event than the ledger's own work (docs/BENCHMARKS.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from engine.events import VOUCHER_REDEEMED, VOUCHER_REVERSED, VoucherRedeemed, VoucherReversed
from engine.settings import Settings
from engine.stream import fences
from engine.stream.batches import run_batch
from engine.stream.consumer import FetchConsumer, Fetched
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

    def consumer(self, settings: Settings) -> FetchConsumer:
        redeemed, reversed_ = settings.topic(VOUCHER_REDEEMED), settings.topic(VOUCHER_REVERSED)

        async def apply_fetch(fetched: Fetched) -> None:
            raws: dict[str, list[bytes]] = {redeemed: [], reversed_: []}
            for tp, records in fetched.items():
                raws[tp.topic] += [r.value or b"" for r in records]
            # Redemptions first: a reversal fetched with its redemption follows it.
            if raws[redeemed]:
                await self.apply("ledger", raws[redeemed], VoucherRedeemed)
            if raws[reversed_]:
                await self.apply("ledger-reversals", raws[reversed_], VoucherReversed)

        return FetchConsumer(
            settings,
            "ledger",
            [redeemed, reversed_],
            apply_fetch,
            gather_s=settings.stream_gather_s,
        )

    async def _record(self, events: Sequence[VoucherRedeemed | VoucherReversed]) -> list[str]:
        return await (await self.resources.get()).ledger.record(events)
