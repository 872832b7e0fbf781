"""A booking campaign's slots: operations define them and see how each fills; a worker
lists the free ones and cancels a booking."""

from __future__ import annotations

from datetime import date, timedelta
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from engine.api.audit import actor_of
from engine.api.auth import require_ops, require_worker, services
from engine.api.fields import CampaignIdPath
from engine.api.responses import ERRORS
from engine.api.slot_models import CancelledBookingOut, OfferedSlotsOut, SlotsIn, SlotsOut
from engine.domain.ids import PARTY_ID_PATTERN
from engine.domain.slots import Slot
from engine.domain.tokens import WorkerIdentity

router = APIRouter(prefix="/v1", responses=ERRORS)
OPS = [Depends(require_ops)]
FOR_OPS: list[str | Enum] = ["ops"]
Worker = Annotated[WorkerIdentity, Depends(require_worker)]
Day = Annotated[date | None, Query(alias="date", description="the slots of this day (UTC+8)")]
Provider = Annotated[
    str,
    Query(max_length=64, pattern=f"(^$)|{PARTY_ID_PATTERN}", description="one provider's store id"),
]
ClaimIdPath = Annotated[str, Path(max_length=128, description="the booking's claim id")]


@router.put(
    "/campaigns/{campaign_id}/slots", dependencies=OPS, tags=FOR_OPS, response_model=SlotsOut
)
async def define_slots(
    body: SlotsIn, request: Request, campaign_id: CampaignIdPath
) -> dict[str, Any]:
    """Add a booking campaign's slots with their capacity (a known slot keeps its time,
    provider and capacity: bookings were made on them). Safe to repeat."""
    slots = [
        Slot(
            s.slot_id,
            s.provider_id,
            s.starts_at,
            s.ends_at,
            s.capacity,
            timedelta(minutes=s.cancel_before_minutes),
            timedelta(minutes=s.early_check_in_minutes),
            service=s.service,
            provider_name=s.provider_name,
        )
        for s in body.slots
    ]
    shown = await services(request).slots.define(campaign_id, slots, actor_of(request))
    return {"campaign_id": campaign_id, "slots": shown}


@router.get(
    "/ops/campaigns/{campaign_id}/slots", dependencies=OPS, tags=FOR_OPS, response_model=SlotsOut
)
async def slot_fill(request: Request, campaign_id: CampaignIdPath) -> dict[str, Any]:
    """Every slot: capacity, places left, bookings standing, cancelled, checked in and
    missed (no-shows)."""
    shown = await services(request).slots.ops_view(campaign_id)
    return {"campaign_id": campaign_id, "slots": shown}


@router.get(
    "/campaigns/{campaign_id}/slots",
    dependencies=[Depends(require_worker)],
    tags=["workers"],
    response_model=OfferedSlotsOut,
)
async def slots_to_book(
    request: Request, campaign_id: CampaignIdPath, day: Day = None, provider: Provider = ""
) -> dict[str, Any]:
    """The slots not started yet with a place left, soonest first; of one day (China
    time) and one provider when asked."""
    shown = await services(request).slots.offered(campaign_id, day, provider)
    return {"campaign_id": campaign_id, "slots": shown}


@router.post("/me/bookings/{claim_id}/cancel", tags=["workers"], response_model=CancelledBookingOut)
async def cancel_booking(request: Request, claim_id: ClaimIdPath, who: Worker) -> dict[str, Any]:
    """Cancel the caller's booking until its slot's deadline: its place goes back to the
    slot at once. Safe to repeat."""
    return await services(request).slots.cancel(who, claim_id)
