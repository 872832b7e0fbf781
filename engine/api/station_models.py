"""A pick-up campaign's stations: what operations send, and what operations and workers
are answered."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, Strict

from engine.api.fields import ClosedBody, PartyId

Text = Annotated[str, Field(min_length=1, max_length=200)]
Packs = Annotated[int, Strict(), Field(ge=0, le=1_000_000)]


class StationIn(ClosedBody):
    """A station; its id is the store id whose keys hand its packs out."""

    station_id: PartyId
    name: Text
    district: Text
    address: Annotated[str, Field(max_length=300)] = ""
    stock: Packs = Field(description="packs allotted; a known station's changes only by moves")


class StationsIn(ClosedBody):
    stations: Annotated[list[StationIn], Field(min_length=1, max_length=5_000)]


class StationChoiceIn(ClosedBody):
    """Where a pack claimed without a station is picked up (chosen once)."""

    station_id: PartyId


class StockMoveIn(ClosedBody):
    """Packs not yet claimed, from one station to another."""

    source: PartyId
    target: PartyId
    packs: Annotated[int, Strict(), Field(ge=1, le=1_000_000)]


class OfferedStationOut(BaseModel):
    station_id: str
    name: str
    district: str
    address: str
    open: bool
    left: int = Field(description="packs left to claim there")


class StationOut(OfferedStationOut):
    stock: int = Field(description="packs allotted (moves included)")
    picked_up: int = Field(description="packs handed out and not given back")


class StationsOut(BaseModel):
    campaign_id: str
    stations: list[StationOut]


class OfferedStationsOut(BaseModel):
    campaign_id: str
    stations: list[OfferedStationOut]


class StockMoveOut(StationsOut):
    move_id: str
    moved: bool = Field(description="false: this move (its Idempotency-Key) was made before")
