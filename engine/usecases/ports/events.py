"""Ports of the event log (Kafka in production)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from engine.events import Event, LogFence, LogPosition


class EventPublisher(Protocol):
    async def publish(self, event: Event, key: str) -> LogPosition:
        """Where the log put the signed event, once it acknowledged it; Unavailable
        otherwise."""

    async def publish_all(self, events: Sequence[tuple[Event, str]]) -> None:
        """Append (event, key) pairs, signed, together; return once the log acknowledged
        every one (Unavailable otherwise: some may be appended, so each must be safe to
        append again)."""


class EventLog(Protocol):
    async def read(self, event_name: str) -> list[tuple[int, int, bytes]]:
        """Every event of one kind from the beginning, as (partition, offset, value)."""


class LogFences(Protocol):
    """Fences placed on the log's partitions (engine/usecases/log_watch.py)."""

    async def ensure_topics(self) -> None:
        """Create the engine's topics where a log that lost them no longer has them."""

    async def partitions(self, event_name: str) -> list[int]: ...
    async def place(self, fence: LogFence) -> int:
        """Append the signed fence to its partition; its offset, once acknowledged."""
