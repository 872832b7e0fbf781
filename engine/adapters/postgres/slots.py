"""A booking campaign's slots, how they fill, and the bookings their workers cancelled."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from engine.adapters.failures import translated
from engine.adapters.postgres.base import Queries
from engine.domain.slots import Slot, SlotFill


@translated
class SlotRecords(Queries):
    async def add_slots(self, campaign_id: str, slots: Sequence[Slot]) -> None:
        columns = [
            [s.slot_id for s in slots],
            [s.provider_id for s in slots],
            [s.provider_name for s in slots],
            [s.service for s in slots],
            [s.starts_at for s in slots],
            [s.ends_at for s in slots],
            [s.capacity for s in slots],
            [int(s.cancel_before.total_seconds()) for s in slots],
            [int(s.early_check_in.total_seconds()) for s in slots],
        ]
        await self.db().execute(self.q["add_slots"], campaign_id, *columns)

    async def slots_of(self, campaign_id: str) -> list[Slot]:
        rows = await self.db().fetch(self.q["slots_of"], campaign_id)
        return [
            Slot(
                slot_id=r["slot_id"],
                provider_id=r["provider_id"],
                starts_at=r["starts_at"],
                ends_at=r["ends_at"],
                capacity=r["capacity"],
                cancel_before=timedelta(seconds=r["cancel_before_s"]),
                early_check_in=timedelta(seconds=r["early_check_in_s"]),
                service=r["service"],
                provider_name=r["provider_name"],
            )
            for r in rows
        ]

    async def slot_fill(self, campaign_id: str, now: datetime) -> dict[str, SlotFill]:
        rows = await self.db().fetch(self.q["slot_fill"], campaign_id, now)
        return {
            r["slot_id"]: SlotFill(r["booked"], r["cancelled"], r["checked_in"], r["no_shows"])
            for r in rows
        }
