"""The pattern shared by claims and redemptions: decide in Redis, then make it durable.

A decision is 'pending' until the broker acknowledges its event. If producing
fails, the decision is released unless a stream worker already took it (then
the event is in the log and the decision stands). A repeated request that finds
its decision still pending waits briefly for the outcome instead of answering early.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from engine.domain.settlement import PENDING
from engine.errors import RequestInProgress, Unavailable
from engine.events import LogPosition

T = TypeVar("T")
_POLL_S = 0.02


async def until_settled(
    attempt: Callable[[], Awaitable[T]], state_of: Callable[[T], str], timeout_s: float
) -> T:
    """Run attempt until its answer is new or no longer pending."""
    deadline = time.monotonic() + timeout_s
    while True:
        answer = await attempt()
        if state_of(answer) != PENDING:
            return answer
        if time.monotonic() >= deadline:
            raise RequestInProgress()
        await asyncio.sleep(_POLL_S)


async def make_durable(
    publish: Callable[[], Awaitable[LogPosition]],
    confirm: Callable[[LogPosition], None],
    release: Callable[[], Awaitable[str]],
) -> None:
    """Publish the decision's event; on failure release it or find it already taken.

    A decision that can be neither released nor found taken (a reversal whose refund was
    spent meanwhile) is not durable yet: the caller gets 503, and the repair job
    completes it by publishing its event.
    """
    try:
        position = await publish()
    except Unavailable:
        if await release() in ("released", "spent"):
            raise
        return
    confirm(position)
