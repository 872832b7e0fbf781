"""Ports of the event log (Kafka in production)."""

from __future__ import annotations

from typing import Protocol

from engine.events import Event


class EventPublisher(Protocol):
    async def publish(self, event: Event, key: str) -> None:
        """Return once the log acknowledged the signed event; raise Unavailable otherwise."""


class EventLog(Protocol):
    async def read(self, event_name: str) -> list[tuple[int, int, bytes]]:
        """Every event of one kind from the beginning, as (partition, offset, value)."""
