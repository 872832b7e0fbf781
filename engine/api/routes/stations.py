"""A pick-up campaign's stations: operations define them, move stock and close them, and
see each one's stock and pick-ups; a worker lists the ones to choose from."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from engine.api.audit import actor_of
from engine.api.auth import require_ops, require_worker, services
from engine.api.fields import CampaignIdPath, IdempotencyKey
from engine.api.own_models import PickupOut
from engine.api.responses import ERRORS
from engine.api.station_models import (
    OfferedStationsOut,
    StationChoiceIn,
    StationsIn,
    StationsOut,
    StockMoveIn,
    StockMoveOut,
)
from engine.domain.admission import check_idempotency_key
from engine.domain.ids import PARTY_ID_PATTERN
from engine.domain.stations import Station
from engine.domain.tokens import WorkerIdentity

router = APIRouter(prefix="/v1", responses=ERRORS)
OPS = [Depends(require_ops)]
# Tagged by who calls, as every other operation is.
FOR_OPS: list[str | Enum] = ["ops"]
StationIdPath = Annotated[str, Path(pattern=PARTY_ID_PATTERN, description="the station's id")]
Search = Annotated[
    str,
    Query(alias="q", max_length=50, description="part of a name, district or address (any case)"),
]


@router.put(
    "/campaigns/{campaign_id}/stations", dependencies=OPS, tags=FOR_OPS, response_model=StationsOut
)
async def define_stations(
    body: StationsIn, request: Request, campaign_id: CampaignIdPath
) -> dict[str, Any]:
    """Add a pick-up campaign's stations with their stock, or rename known ones (a known
    station's stock changes only by moves). Safe to repeat."""
    stations = [
        Station(s.station_id, s.name, s.district, s.address, stock=s.stock) for s in body.stations
    ]
    shown = await services(request).stations.define(campaign_id, stations, actor_of(request))
    return {"campaign_id": campaign_id, "stations": shown}


@router.get(
    "/ops/campaigns/{campaign_id}/stations",
    dependencies=OPS,
    tags=FOR_OPS,
    response_model=StationsOut,
)
async def station_figures(request: Request, campaign_id: CampaignIdPath) -> dict[str, Any]:
    """Every station: packs allotted, left to claim, and picked up, live."""
    shown = await services(request).stations.ops_view(campaign_id)
    return {"campaign_id": campaign_id, "stations": shown}


@router.post(
    "/campaigns/{campaign_id}/stations/moves",
    dependencies=OPS,
    tags=FOR_OPS,
    status_code=201,
    response_model=StockMoveOut,
)
async def move_stock(
    body: StockMoveIn,
    request: Request,
    campaign_id: CampaignIdPath,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Move packs not yet claimed between two stations (audited). Idempotent by
    Idempotency-Key: a retry moves nothing more."""
    key = check_idempotency_key(idempotency_key)
    moved = await services(request).stations.move(
        campaign_id, key, body.source, body.target, body.packs, actor_of(request)
    )
    return {"campaign_id": campaign_id, **moved}


@router.post(
    "/campaigns/{campaign_id}/stations/{station_id}/close",
    dependencies=OPS,
    tags=FOR_OPS,
    response_model=StationsOut,
)
async def close_station(
    request: Request, campaign_id: CampaignIdPath, station_id: StationIdPath
) -> dict[str, Any]:
    """No more claims name the station; packs already claimed there are still handed out."""
    shown = await services(request).stations.close(campaign_id, station_id, actor_of(request))
    return {"campaign_id": campaign_id, "stations": shown}


@router.get(
    "/campaigns/{campaign_id}/stations",
    dependencies=[Depends(require_worker)],
    tags=["workers"],
    response_model=OfferedStationsOut,
)
async def stations_to_choose(
    request: Request, campaign_id: CampaignIdPath, search: Search = ""
) -> dict[str, Any]:
    """The open stations with packs left, by district and name, matching `q`."""
    shown = await services(request).stations.offered(campaign_id, search)
    return {"campaign_id": campaign_id, "stations": shown}


@router.post("/me/vouchers/{claim_id}/station", tags=["workers"], response_model=PickupOut)
async def choose_station(
    body: StationChoiceIn,
    request: Request,
    claim_id: Annotated[str, Path(max_length=128, description="the pack's claim id")],
    who: Annotated[WorkerIdentity, Depends(require_worker)],
) -> dict[str, Any]:
    """Choose where a pack claimed without a station is picked up: once, from the open
    stations with packs left (a retry of the same choice answers it again; another is
    `409`). Until then the pack is not handed out (`409 station-not-chosen`)."""
    return await services(request).stations.choose(who, claim_id, body.station_id)
