"""Log fences as the consumers meet them: taken out of a batch before its events are
decoded, and recorded as passed once the batch's events are applied
(engine/usecases/log_watch.py says what the marks are for)."""

from __future__ import annotations

from collections.abc import Sequence

import structlog

from engine.domain.event_auth import EventKeys
from engine.errors import BackendDown
from engine.events import LogFence
from engine.usecases.ports import LogMarks

log = structlog.get_logger("engine.stream")


def split(raws: Sequence[bytes], keys: EventKeys) -> tuple[list[bytes], list[LogFence]]:
    """(the events, the authentic fences) of a batch; a fence that does not verify is
    dropped: it could only make a release come too early."""
    events, fences = [], []
    for raw in raws:
        fence = LogFence.recognise(raw)
        if fence is None:
            events.append(raw)
        elif fence.authentic(keys):
            fences.append(fence)
        else:
            log.warning("forged log fence dropped", topic=fence.topic)
    return events, fences


async def passed(marks: LogMarks, fences: Sequence[LogFence]) -> None:
    """Record fences whose batch is applied, by topic. Redis unreachable or unreplicated
    here only delays releases (the next fence is recorded instead): never a reason for the
    agent to stop."""
    for topic in {f.topic for f in fences}:
        try:
            await marks.passed(topic, [(f.partition, f.at_ms) for f in fences if f.topic == topic])
        except BackendDown as exc:
            log.warning("log fence not recorded as passed", topic=topic, error=repr(exc)[:200])
