"""A booking campaign's slots: operations define them and watch how each fills; workers
find the free ones by day and provider, book one with a claim (its place is taken in the
admission itself, engine/usecases/claims.py) and cancel until the slot's deadline, its
place going back at once. The provider checks the worker in with the voucher (a
redemption by its store's key, from the slot's check-in time until it ends)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, Protocol

from engine.domain.admission import ClaimCancel
from engine.domain.audit import Actor, AuditEntry
from engine.domain.campaigns import Campaign
from engine.domain.clock import Clock
from engine.domain.live_records import StationStock
from engine.domain.periods import period_id
from engine.domain.slots import (
    CANCELLED_REASON,
    Slot,
    SlotFill,
    cancellable,
    check_slots,
    offered_slots,
    terms,
)
from engine.domain.tokens import WorkerIdentity
from engine.errors import CancelDeadlinePassed, NotFound, Revoked
from engine.usecases.ports import AuditLog, SlotRecords, StationStocks, VoucherRecords
from engine.usecases.read_caches import Campaigns
from engine.usecases.voucher_views import slot_view


class Records(SlotRecords, VoucherRecords, AuditLog, Protocol):
    """Slots, the bookings' vouchers, and each change by operations audited."""


class Slots:
    def __init__(
        self, *, records: Records, live: StationStocks, campaigns: Campaigns, clock: Clock
    ) -> None:
        self.records, self.live, self.campaigns, self.clock = records, live, campaigns, clock

    async def _booking_campaign(self, campaign_id: str) -> Campaign:
        campaign = await self.campaigns.get(campaign_id)
        if not campaign.slots:
            raise NotFound("This campaign is not booked by the slot")
        return campaign

    async def define(
        self, campaign_id: str, slots: Sequence[Slot], by: Actor
    ) -> list[dict[str, Any]]:
        """Add slots with their capacity (a known slot keeps its time, provider and
        capacity; its service and provider name change). Safe to repeat."""
        campaign = await self._booking_campaign(campaign_id)
        check_slots(slots, campaign.valid_until)
        async with self.records.transaction():
            await self.records.add_slots(campaign_id, slots)
            after = {"slots": [s.slot_id for s in slots]}
            entry = AuditEntry.of(by, "slots.define", f"campaign:{campaign_id}", after=after)
            await self.records.insert_audit(entry)
        # Recorded first: a rebuild of the decisions then finds every slot there is.
        stored = await self.records.slots_of(campaign_id)
        await self.live.add_slots(campaign_id, {s.slot_id: (s.capacity, terms(s)) for s in stored})
        return await self.ops_view(campaign_id)

    async def ops_view(self, campaign_id: str) -> list[dict[str, Any]]:
        """Every slot: its capacity, places left, and its bookings standing, cancelled,
        checked in and missed."""
        await self._booking_campaign(campaign_id)
        slots = await self.records.slots_of(campaign_id)
        live = await self.live.station_stock(campaign_id)
        fill = await self.records.slot_fill(campaign_id, self.clock.now())
        return [_filled(s, live.get(s.slot_id), fill.get(s.slot_id, SlotFill())) for s in slots]

    async def offered(
        self, campaign_id: str, day: date | None = None, provider: str = ""
    ) -> list[dict[str, Any]]:
        """What a worker may book: slots not started with a place left, soonest first."""
        await self._booking_campaign(campaign_id)
        live = await self.live.station_stock(campaign_id)
        slots = await self.records.slots_of(campaign_id)
        free = offered_slots(slots, live, self.clock.now(), day, provider)
        return [slot_view(s) | {"left": live[s.slot_id].left} for s in free]

    async def cancel(self, who: WorkerIdentity, claim_id: str) -> dict[str, Any]:
        """Cancel the worker's own booking until its slot's deadline; its place goes back
        to the slot at once. Safe to repeat."""
        voucher = await self.records.voucher_by_claim(claim_id)
        if voucher is None or voucher.worker_id != who.worker_id:
            raise NotFound("No such booking of yours")
        campaign = await self._booking_campaign(voucher.campaign_id)
        slots = {s.slot_id: s for s in await self.records.slots_of(campaign.id)}
        slot = slots.get(voucher.station_id or "")
        if slot is None:
            raise NotFound("No such booking of yours")
        if voucher.cancelled_at is None and not cancellable(slot, self.clock.now()):
            until = (slot.starts_at - slot.cancel_before).isoformat()
            raise CancelDeadlinePassed(
                f"Bookings of this slot are cancelled until {until}", cancel_until=until
            )
        limit = campaign.period_limit
        period = period_id(limit.period, voucher.admitted_at) if limit else "none"
        cancel = ClaimCancel(
            campaign.id, claim_id, voucher.serial, who.worker_id, period, CANCELLED_REASON
        )
        async with self.records.transaction():
            # Recorded and decided together: if the decision refuses (checked in, lapsed),
            # the record rolls back; a retry after a lost commit finds the decision made.
            if not await self.records.cancel_claim(claim_id, CANCELLED_REASON):
                raise Revoked()
            cancelled_now = await self.live.cancel_claim(cancel)
        return {
            "claim_id": claim_id,
            "cancelled": True,
            "cancelled_now": cancelled_now,
            "slot": slot_view(slot),
        }


def _filled(slot: Slot, live: StationStock | None, fill: SlotFill) -> dict[str, Any]:
    return slot_view(slot) | {
        "capacity": slot.capacity,
        "left": (live or StationStock(0)).left,
        "booked": fill.booked,
        "cancelled": fill.cancelled,
        "checked_in": fill.checked_in,
        "no_shows": fill.no_shows,
    }
