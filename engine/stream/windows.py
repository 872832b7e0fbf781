"""Agents 'windows-*': per-campaign counts of claims, issuances and redemptions in
tumbling windows of 1 second and 1 minute (faust tables), mirrored to Redis for the API.

The windows are a derived view: at-least-once delivery can count an event twice after
a rebalance, and they can be rebuilt from the log. Exact figures live in Redis and
PostgreSQL.
"""

from __future__ import annotations

import functools
import json
import time

from engine.stream.resources import LazyResources

KINDS = ("claims", "issued", "redeemed")
SIZES = {"1s": 1, "1m": 60}  # window name -> seconds
EXPIRES_S = {"1s": 600, "1m": 7200}


# Each table asks for the time of the event being counted, and so does the mirror: the
# last few answers are kept, so an event is parsed for its time once.
@functools.lru_cache(maxsize=8)
def event_time(raw: bytes) -> float:
    """When the event happened (unix s), from its own field: the log's timestamps are
    rewritten when a stream is repartitioned. Now, for bytes that carry no time."""
    try:
        fields = json.loads(raw)
    except ValueError:
        fields = None
    if isinstance(fields, dict):
        for field in ("admitted_at_ms", "issued_at_ms", "redeemed_at_ms"):
            value = fields.get(field)
            if isinstance(value, int) and not isinstance(value, bool):
                return value / 1000
    return time.time()


def window_start(timestamp_s: float, size_s: int) -> int:
    return int(timestamp_s // size_s) * size_s


async def mirror(
    resources: LazyResources,
    kind: str,
    campaign_id: str,
    timestamp_s: float,
    values: dict[str, int],
) -> None:
    """Copy the current windows' values (from the faust tables) where the API can read them."""
    figures = (await resources.get()).redis.figures
    await figures.mirror_windows(
        campaign_id,
        kind,
        {
            name: (window_start(timestamp_s, SIZES[name]), value, EXPIRES_S[name])
            for name, value in values.items()
        },
    )
