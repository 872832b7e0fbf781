"""The cash-out watch, the stream's 'watch' role: every redemption and reversal from the log
is kept and judged by engine/usecases/watch.py, off the redemption's path (a watch that
lags or stops delays a case, never a redemption).

Committed after each fetch is kept and judged: a redelivery keeps nothing twice (each
event once, by its id) and adds no evidence a case has, so it opens no second case."""

from __future__ import annotations

from engine.domain.event_auth import EventKeys
from engine.domain.watch import Seen, SeenReversal, seen_redemption, seen_reversal
from engine.events import VOUCHER_REDEEMED, VOUCHER_REVERSED
from engine.settings import Settings
from engine.stream.consumer import FetchConsumer, Fetched, authentic_events
from engine.stream.resources import LazyResources


def cashout_watch(settings: Settings, resources: LazyResources, keys: EventKeys) -> FetchConsumer:
    names = {settings.topic(name): name for name in (VOUCHER_REDEEMED, VOUCHER_REVERSED)}

    async def judge(fetched: Fetched) -> None:
        redemptions: list[Seen] = []
        reversals: list[SeenReversal] = []
        for name, _, fields in authentic_events(fetched, names, keys):
            if name == VOUCHER_REDEEMED and (seen := seen_redemption(fields)):
                redemptions.append(seen)
            elif name == VOUCHER_REVERSED and (back := seen_reversal(fields)):
                reversals.append(back)
        if redemptions or reversals:
            await (await resources.get()).watch.seen(redemptions, reversals)

    # Each handling reads the window of every store and terminal it touches again, so
    # fetches are gathered: a busy store's window is read once a gathering, not per fetch.
    return FetchConsumer(
        settings, "cashout-watch", list(names), judge, gather_s=settings.watch_gather_s
    )
