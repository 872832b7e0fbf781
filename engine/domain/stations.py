"""Gifts picked up at the union's service stations: the rules, without I/O. Each
station's stock is taken atomically in the decision store, as a campaign's is, and a pack
is handed out only by its station's key (redeem.lua); this module says which stations a
worker is offered, that a pick-up claim names one, and what a move of stock must keep.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from engine.errors import Conflict, ValidationFailed


@dataclass(frozen=True, slots=True)
class Station:
    station_id: str
    name: str
    district: str
    address: str
    open: bool = True
    stock: int = 0  # allotted: its first stock, plus moves in, less moves out


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
    return by_place(found)


def by_place(stations: Iterable[Station]) -> list[Station]:
    """As a worker looks for one: by district, then name."""
    return sorted(stations, key=lambda s: (s.district, s.name, s.station_id))


# A pick-up claim that leaves its station to be chosen later, once (never a station id).
TO_CHOOSE = "?"


def station_choice(stations: bool, station_id: str | None) -> str:
    """The station a claim names: a pick-up claim's now, or TO_CHOOSE (chosen later, once,
    from the stations with packs left); any other claim names none."""
    if stations:
        return station_id or TO_CHOOSE
    if station_id:
        raise ValidationFailed("this programme is not picked up at a station: leave station_id out")
    return station_id or ""


def check_choice(held: str, station_id: str) -> bool:
    """Whether a voucher's station is chosen now (True) or was this one already (False:
    a retry); a voucher picked up elsewhere already, or not a pick-up, cannot choose."""
    if held == station_id:
        return False
    if held != TO_CHOOSE:
        raise Conflict(f"This pack's station is chosen already ({held or 'none'})")
    return True


def check_move(stations: Collection[str], source: str, target: str, units: int) -> None:
    """A move of stock between stations: both known, different, a positive number of
    packs. Whether the source has them left (what is claimed stays where it was claimed)
    the decision store says, atomically with the claims taking them."""
    if source == target:
        raise ValidationFailed("stock moves between two different stations")
    if source not in stations or target not in stations:
        raise ValidationFailed("both stations must belong to the campaign")
    if units <= 0:
        raise ValidationFailed("a move is a positive number of packs")


def _fold(text: str) -> str:
    """Full-width as half-width, any case: how a search compares text."""
    return unicodedata.normalize("NFKC", text).casefold()
