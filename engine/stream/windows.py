"""The 'windows' role: per-campaign counts of claims, issuances and redemptions in
tumbling windows of one second and one minute (engine/domain/windows.py), counted in
Redis where the API reads them.

Each event is counted once, by where it sits in the log (count_window.lua): a
redelivery after a rebalance or a restart counts nothing, and no state is restored from
the log, so no broker's end offsets are trusted (the local broker reports them short,
which made faust's table recovery, used here before, count too little after a restart).
"""

from __future__ import annotations

from engine.domain.event_auth import EventKeys
from engine.domain.windows import KINDS, WindowCount, event_time
from engine.events import CLAIM_ADMITTED, VOUCHER_ISSUED, VOUCHER_REDEEMED
from engine.settings import Settings
from engine.stream.consumer import FetchConsumer, Fetched, authentic_events
from engine.stream.resources import LazyResources

# The kind of count each topic's events make.
KIND_OF = dict(zip((CLAIM_ADMITTED, VOUCHER_ISSUED, VOUCHER_REDEEMED), KINDS, strict=True))


def window_counter(settings: Settings, resources: LazyResources, keys: EventKeys) -> FetchConsumer:
    names = {settings.topic(name): name for name in KIND_OF}

    async def count(fetched: Fetched) -> None:
        counts = []
        for name, r, fields in authentic_events(fetched, names, keys):
            campaign_id = fields.get("campaign_id")
            if isinstance(campaign_id, str):
                at = event_time(fields)
                counts.append(WindowCount(campaign_id, KIND_OF[name], r.partition, r.offset, at))
        if counts:
            r = await resources.get()
            await r.decisions.figures.count_windows(counts, await r.decisions.log_marks.epoch())

    return FetchConsumer(settings, "window-counts", list(names), count)
