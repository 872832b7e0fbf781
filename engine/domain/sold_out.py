"""Sold out, remembered by an API process for a moment (the flash-sale habit).

Once a campaign's stock is gone, the long tail of a burst is answered from memory
instead of by the admission script. A mark is exact for the claims it refuses:

- it lives `life_ms` at most, and never past the next wave, so stock that comes back
  another way (a claim released by the repair job, a rollover, a quota raised in
  another process) is offered again within that life;
- it refuses only claims asking at least `refuses_from_fen` (1 when the stock is gone,
  more when only the budget is short of the asked face value);
- it never answers a worker who held a claim of the campaign when it was set: such a
  request may be an idempotent repeat, owed its first answer, so the script answers it.
  No one else can have been admitted since: admitting needs stock, and stock returning
  after the mark is what its short life bounds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from engine.errors import SoldOut


@dataclass(frozen=True, slots=True)
class StockOut:
    """What the admission script says with a sold-out answer."""

    next_wave_ms: int  # 0: no wave to come
    refuses_from_fen: int  # claims asking this face value or more are refused
    last_serial: int  # the campaign's last serial: unchanged means no one admitted since


@dataclass(frozen=True, slots=True)
class SoldOutMark:
    version: int  # the definition it was set under: a new version (more quota) ends it
    until_ms: int
    stock: StockOut
    holders: frozenset[str]


def sold_out(next_wave_ms: int = 0) -> SoldOut:
    if next_wave_ms:
        at = datetime.fromtimestamp(next_wave_ms / 1000, UTC).isoformat()
        return SoldOut(f"No stock released now; the next wave opens at {at}", next_wave_at=at)
    return SoldOut()


class SoldOutMarks:
    """One process's marks, by campaign id."""

    def __init__(self, life_ms: int) -> None:
        self.life_ms = life_ms
        self._marks: dict[str, SoldOutMark] = {}

    def refusal(
        self, campaign_id: str, version: int, worker_id: str, face_fen: int, now_ms: int
    ) -> SoldOut | None:
        """The answer for a claim the mark refuses, or None: ask the script."""
        mark = self._marks.get(campaign_id)
        if (
            mark is None
            or now_ms >= mark.until_ms
            or mark.version != version
            or face_fen < mark.stock.refuses_from_fen
            or worker_id in mark.holders
        ):
            return None
        return sold_out(mark.stock.next_wave_ms)

    def holders_since(self, campaign_id: str, stock: StockOut) -> frozenset[str] | None:
        """The holders read for an earlier mark, if no one was admitted since."""
        mark = self._marks.get(campaign_id)
        if mark is not None and mark.stock.last_serial == stock.last_serial:
            return mark.holders
        return None

    def mark(
        self,
        campaign_id: str,
        version: int,
        stock: StockOut,
        holders: frozenset[str],
        now_ms: int,
    ) -> None:
        if self.life_ms <= 0:
            return
        until = now_ms + self.life_ms
        if stock.next_wave_ms:
            until = min(until, stock.next_wave_ms)
        self._marks[campaign_id] = SoldOutMark(version, until, stock, holders)

    def clear(self, campaign_id: str) -> None:
        """Stock came back through this process (a release): offer it at once."""
        self._marks.pop(campaign_id, None)
