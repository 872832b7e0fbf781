"""Timer 'gauges': campaign stock and budget, and consumer lag, for Prometheus to scrape."""

from __future__ import annotations

from typing import Any

from engine.domain.stock import remaining
from engine.metrics import (
    CAMPAIGN_ADMITTED,
    CAMPAIGN_BUDGET,
    CAMPAIGN_BUDGET_LEFT,
    CAMPAIGN_QUOTA,
    CAMPAIGN_REMAINING,
    CONSUMER_LAG,
)
from engine.settings import Settings
from engine.stream.resources import Resources


async def refresh_campaigns(resources: Resources) -> None:
    for campaign_id in await resources.db.live_campaigns():
        c = await resources.db.get_campaign(campaign_id)
        counters = await resources.decisions.figures.counters(campaign_id)
        if c is None or counters is None:
            continue
        CAMPAIGN_QUOTA.labels(campaign_id).set(c.quota)
        CAMPAIGN_ADMITTED.labels(campaign_id).set(counters.admitted)
        CAMPAIGN_REMAINING.labels(campaign_id).set(
            remaining(c.quota, counters.admitted, counters.reclaimed, c.rollover)
        )
        budget = c.deciding_budget_fen
        if budget is not None:
            CAMPAIGN_BUDGET.labels(campaign_id).set(budget)
            CAMPAIGN_BUDGET_LEFT.labels(campaign_id).set(budget - counters.spent)


async def refresh_lag(consumer: Any, resources: Resources, settings: Settings) -> None:
    """Lag per assigned partition of a consumer: faust's, or the issuer's aiokafka one
    (both answer assignment(), position() and highwater()). The end of a partition is
    the broker's high watermark or, when that is lower, just past the last fence placed
    there: a fence's offset comes from the broker's acknowledgement, which is right even
    where the reported end offsets are not (the local broker reports them short)."""
    fences: dict[str, dict[int, int]] = {}
    for tp in consumer.assignment():
        position = await consumer.position(tp)
        if position is None:
            continue
        name = tp.topic.removeprefix(settings.topic_prefix + ".")
        if name not in fences:
            fences[name] = await resources.decisions.log_marks.placed_offsets(name)
        end = max(consumer.highwater(tp) or 0, fences[name].get(tp.partition, -1) + 1)
        CONSUMER_LAG.labels(tp.topic, str(tp.partition)).set(max(0, end - position))
