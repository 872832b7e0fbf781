"""Gifts picked up at the union's service stations (issue 26): the rules, without I/O.
Each station's stock is taken atomically in the decision store, as a campaign's is; this
module says which stations a worker is offered, where a pack may be picked up, and what
a move of stock between stations must keep.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from engine.errors import Conflict, ValidationFailed


@dataclass(frozen=True, slots=True)
class Station:
    station_id: str
    name: str
    district: str
    address: str
    open: bool = True


def offered(stations: Iterable[Station], stock: dict[str, int], query: str = "") -> list[Station]:
    """The open stations with stock left, whose name, district or address contains the
    query (any case, full- or half-width), by district then name."""
    wanted = _fold(query.strip())
    found = [
        s
        for s in stations
        if s.open
        and stock.get(s.station_id, 0) > 0
        and (not wanted or any(wanted in _fold(x) for x in (s.name, s.district, s.address)))
    ]
    return sorted(found, key=lambda s: (s.district, s.name, s.station_id))


def pickup_refusal(claimed_at: str, station_id: str, open_now: bool) -> str | None:
    """Why a pack claimed for `claimed_at` may not be handed out at `station_id` now."""
    if station_id != claimed_at:
        return "another-station"
    if not open_now:
        return "station-closed"
    return None


def check_move(stock: dict[str, int], source: str, target: str, units: int) -> None:
    """A move of stock between stations: both known, different, and no more than the
    source has left (what is already claimed stays where it was claimed)."""
    if source == target:
        raise ValidationFailed("stock moves between two different stations")
    if source not in stock or target not in stock:
        raise ValidationFailed("both stations must belong to the campaign")
    if units <= 0:
        raise ValidationFailed("a move is a positive number of packs")
    if units > stock[source]:
        raise Conflict(f"station {source} has {stock[source]} packs left, not {units}")


def _fold(text: str) -> str:
    """Full-width as half-width, any case: how a search compares text."""
    return unicodedata.normalize("NFKC", text).casefold()
