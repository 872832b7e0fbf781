"""Use cases called directly, in the test process, on a clock the test controls."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from engine.domain.audit import Actor
from engine.domain.tokens import WorkerIdentity

# Who acts when a test calls a use case directly (the audit log names it).
TEST_ACTOR = Actor("ops:test")


async def registered(services: Any, n: int = 1, category: str = "courier") -> list[WorkerIdentity]:
    """New workers on record (a claim reads the profile, never the token), for tests that
    call the use cases directly."""
    ids = [f"w-{uuid.uuid4().hex[:10]}" for _ in range(n)]
    await services.workers.register_many([(i, {"category": category}) for i in ids])
    return [WorkerIdentity(i) for i in ids]


class ManualClock:
    """A clock the test moves by hand; `start` is where it began."""

    def __init__(self, start: datetime) -> None:
        self.start = self.moment = start

    def now(self) -> datetime:
        return self.moment


def quiet_noon() -> datetime:
    """Tomorrow, 12:00 in Asia/Shanghai (04:00 UTC): far from a day's, week's or month's
    turn there, and in the future, so the stream worker's timers (repair, expiry), which
    run on the real clock, never act on what a test admits at these times."""
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, 4, tzinfo=UTC)
