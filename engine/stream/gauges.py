"""Timer 'gauges': campaign stock and budget, and consumer lag, for Prometheus to scrape."""

from __future__ import annotations

import faust

from engine.domain.stock import remaining
from engine.metrics import (
    CAMPAIGN_ADMITTED,
    CAMPAIGN_BUDGET,
    CAMPAIGN_BUDGET_LEFT,
    CAMPAIGN_QUOTA,
    CAMPAIGN_REMAINING,
    CONSUMER_LAG,
)
from engine.stream.resources import Resources


async def refresh_campaigns(r: Resources) -> None:
    for campaign_id in await r.db.live_campaigns():
        c = await r.db.get_campaign(campaign_id)
        counters = await r.redis.figures.counters(campaign_id)
        if c is None or counters is None:
            continue
        CAMPAIGN_QUOTA.labels(campaign_id).set(c.quota)
        CAMPAIGN_ADMITTED.labels(campaign_id).set(counters.admitted)
        CAMPAIGN_REMAINING.labels(campaign_id).set(
            remaining(c.quota, counters.admitted, counters.reclaimed, c.rollover)
        )
        if c.budget_fen:
            CAMPAIGN_BUDGET.labels(campaign_id).set(c.budget_fen)
            CAMPAIGN_BUDGET_LEFT.labels(campaign_id).set(c.budget_fen - counters.spent)


async def refresh_lag(app: faust.App) -> None:
    consumer = app.consumer
    for tp in consumer.assignment():
        position = await consumer.position(tp)
        if position is not None:
            lag = max(0, consumer.highwater(tp) - position)
            CONSUMER_LAG.labels(tp.topic, str(tp.partition)).set(lag)
