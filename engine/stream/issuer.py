"""The issuer: claim.admitted -> vouchers, on a consumer of its own (consumer.py).

A fetch (up to `issue_batch_size` claims per assigned partition) is cut into batches of
that size, one partition's each, which are issued at once; the offsets are committed once
every batch of the fetch is issued.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from engine.events import CLAIM_ADMITTED
from engine.settings import Settings
from engine.stream.consumer import Committed, FetchConsumer, Fetched

# What issuing a partition's batch of raw claim.admitted events takes.
IssueBatch = Callable[[Sequence[bytes]], Awaitable[None]]


def issuer(settings: Settings, issue: IssueBatch, committed: Committed) -> FetchConsumer:
    size = settings.issue_batch_size

    async def issue_fetch(fetched: Fetched) -> None:
        batches = [
            records[i : i + size]
            for records in fetched.values()
            for i in range(0, len(records), size)
        ]
        await asyncio.gather(*(issue([r.value or b"" for r in b]) for b in batches))

    return FetchConsumer(
        settings, "issuer", [settings.topic(CLAIM_ADMITTED)], issue_fetch, committed
    )
