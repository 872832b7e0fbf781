"""A pick-up campaign's stations in memory: the stock per station the decisions take, by
add_stations.lua's and move_stock.lua's rules (StationStocks), and the stations' records
by the named queries' (StationRecords)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace

from engine.adapters.memory.live_state import LiveCampaign, LiveState
from engine.adapters.memory.tables import TableStore
from engine.domain.live_records import StationStock
from engine.domain.stations import Station
from engine.errors import Conflict, Unavailable, ValidationFailed


class MemoryStations:
    def __init__(self, live: LiveState) -> None:
        self.live = live

    def _campaign(self, campaign_id: str) -> LiveCampaign:
        campaign = self.live.live(campaign_id)
        if campaign is None:
            raise Unavailable("The campaign's live state is being rebuilt; retry shortly")
        return campaign

    async def add_stations(self, campaign_id: str, stock: Mapping[str, int]) -> int:
        stations = self._campaign(campaign_id).state.stations
        new = {station: packs for station, packs in stock.items() if station not in stations}
        stations.update({station: StationStock(packs) for station, packs in new.items()})
        return len(new)

    async def move_stock(
        self, campaign_id: str, move_id: str, source: str, target: str, packs: int
    ) -> bool:
        campaign = self._campaign(campaign_id)
        stations = campaign.state.stations
        if move_id in campaign.station_moves:
            return False
        if source not in stations or target not in stations:
            raise ValidationFailed("both stations must belong to the campaign")
        left = stations[source].left
        if left < packs:
            raise Conflict(f"station {source} has {left} packs left", left=left)
        stations[source] = replace(stations[source], left=left - packs)
        stations[target] = replace(stations[target], left=stations[target].left + packs)
        campaign.station_moves.add(move_id)
        return True

    async def close_station(self, campaign_id: str, station_id: str) -> None:
        stations = self._campaign(campaign_id).state.stations
        stations[station_id] = replace(stations.get(station_id, StationStock(0)), open=False)

    async def station_stock(self, campaign_id: str) -> dict[str, StationStock]:
        campaign = self.live.live(campaign_id)
        return dict(campaign.state.stations) if campaign else {}


class MemoryStationRecords(TableStore):
    async def add_stations(self, campaign_id: str, stations: Sequence[Station]) -> None:
        known = self.t.stations.setdefault(campaign_id, {})
        for station in stations:
            held = known.get(station.station_id)
            known[station.station_id] = (
                station
                if held is None
                else replace(
                    held, name=station.name, district=station.district, address=station.address
                )
            )

    async def stations_of(self, campaign_id: str) -> list[Station]:
        return sorted(self.t.stations.get(campaign_id, {}).values(), key=lambda s: s.station_id)

    async def record_move(
        self, campaign_id: str, move_id: str, source: str, target: str, packs: int
    ) -> bool:
        if (campaign_id, move_id) in self.t.station_moves:
            return False
        known = self.t.stations[campaign_id]
        known[source] = replace(known[source], stock=known[source].stock - packs)
        known[target] = replace(known[target], stock=known[target].stock + packs)
        self.t.station_moves.add((campaign_id, move_id))
        return True

    async def close_station(self, campaign_id: str, station_id: str) -> bool:
        known = self.t.stations.get(campaign_id, {})
        if station_id not in known:
            return False
        known[station_id] = replace(known[station_id], open=False)
        return True

    async def station_pickups(self, campaign_id: str) -> dict[str, int]:
        entries = [link.entry for link in self.t.ledger if link.entry.campaign_id == campaign_id]
        given_back = Counter[str]()
        for e in entries:
            if e.reverses:
                given_back[e.reverses] -= e.amount_fen
        picked = Counter(
            e.store_id
            for e in entries
            if e.kind == "redemption" and e.store_id and given_back[e.entry_id] < e.amount_fen
        )
        return dict(picked)
