"""The cash-out watch, the stream's 'watch' role: every redemption and reversal from the log
is kept and judged by engine/usecases/watch.py, off the redemption's path (a watch that
lags or stops delays a case, never a redemption).

Committed after each fetch is kept and judged: a redelivery keeps nothing twice (each
event once, by its id) and adds no evidence a case has, so it opens no second case."""

from __future__ import annotations

from engine.domain.event_auth import EventKeys
from engine.domain.watch import Seen, SeenReversal, seen_redemption, seen_reversal
from engine.domain.windows import decoded
from engine.events import VOUCHER_REDEEMED, VOUCHER_REVERSED
from engine.settings import Settings
from engine.stream.consumer import FetchConsumer, Fetched
from engine.stream.resources import LazyResources


def cashout_watch(settings: Settings, resources: LazyResources, keys: EventKeys) -> FetchConsumer:
    names = {settings.topic(name): name for name in (VOUCHER_REDEEMED, VOUCHER_REVERSED)}

    async def judge(fetched: Fetched) -> None:
        redemptions: list[Seen] = []
        reversals: list[SeenReversal] = []
        for tp, records in fetched.items():
            name = names[tp.topic]
            for r in records:
                fields = decoded(r.value or b"")
                # Forged events are left out (the core role parks them), fences too.
                if fields is None or not keys.authentic(name, fields):
                    continue
                if name == VOUCHER_REDEEMED:
                    redemptions += [s for s in (seen_redemption(fields),) if s]
                else:
                    reversals += [s for s in (seen_reversal(fields),) if s]
        if redemptions or reversals:
            await (await resources.get()).watch.seen(redemptions, reversals)

    return FetchConsumer(settings, "cashout-watch", list(names), judge)
