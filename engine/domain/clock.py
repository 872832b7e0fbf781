"""Time as the engine sees it. Every decision takes `now` from a Clock, never from Redis,
so tests (and a replay) can set the hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def utc_from_ms(ms: int) -> datetime:
    """Exact: the ledger hashes milliseconds, so no float may round them."""
    return _EPOCH + timedelta(milliseconds=ms)


def ms_from_utc(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)
