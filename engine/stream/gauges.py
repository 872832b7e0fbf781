"""Timer 'gauges': campaign stock and budget, and consumer lag, for Prometheus to scrape."""

from __future__ import annotations

import faust

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
        counters = await r.store.campaign_counters(campaign_id)
        if c is None or not counters:
            continue
        admitted = counters.get("admitted", 0)
        reclaimed = counters.get("reclaimed", 0) if c.rollover else 0
        CAMPAIGN_QUOTA.labels(campaign_id).set(c.quota)
        CAMPAIGN_ADMITTED.labels(campaign_id).set(admitted)
        CAMPAIGN_REMAINING.labels(campaign_id).set(c.quota - admitted + reclaimed)
        if c.budget_fen:
            CAMPAIGN_BUDGET.labels(campaign_id).set(c.budget_fen)
            CAMPAIGN_BUDGET_LEFT.labels(campaign_id).set(c.budget_fen - counters.get("spent", 0))


async def refresh_lag(app: faust.App) -> None:
    consumer = app.consumer
    for tp in consumer.assignment():
        position = await consumer.position(tp)
        if position is not None:
            lag = max(0, consumer.highwater(tp) - position)
            CONSUMER_LAG.labels(tp.topic, str(tp.partition)).set(lag)
