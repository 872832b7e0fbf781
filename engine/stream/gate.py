"""What comes off the log before an agent applies it: raw bytes decoded into events, only
authentic ones let through, the rest parked on the dead-letter topic with why."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import structlog

from engine.domain.event_auth import EventKeys
from engine.events import Event, MalformedEvent

log = structlog.get_logger("engine.stream")
E = TypeVar("E", bound=Event)
# Sends one raw record (key, value) to the dead-letter topic.
SendDead = Callable[[bytes, bytes], Awaitable[object]]


class ForgedEvent(Exception):
    """An event whose MAC does not verify with any of the engine's event keys."""


class Gate:
    def __init__(self, keys: EventKeys, send_dead: SendDead) -> None:
        self.keys, self.send_dead = keys, send_dead

    async def park(self, event: Event | bytes, exc: BaseException, kind: str = "") -> None:
        if isinstance(event, Event):
            kind, fields = type(event).__name__, event.fields()
        else:
            fields = {"raw": event[:2000].decode(errors="replace")}
        body = {"event": fields, "type": kind, "error": repr(exc)[:1000]}
        await self.send_dead(kind.encode(), json.dumps(body).encode())

    async def authentic(self, raws: Sequence[bytes], record: type[E]) -> list[E]:
        kept = []
        for raw in raws:
            try:
                event = record.loads(raw)
            except MalformedEvent as exc:
                log.warning("malformed event parked", type=record.__name__)
                await self.park(raw, exc, record.__name__)
                continue
            if event.authentic(self.keys):
                kept.append(event)
            else:
                log.warning("forged event parked", type=record.__name__)
                await self.park(event, ForgedEvent("the event's MAC does not verify"))
        return kept
