"""A pick-up campaign's stock per station in Redis: given to new stations, moved between
them, closed; each claim takes its station's stock in admit.lua."""

from __future__ import annotations

from collections.abc import Mapping

from engine.adapters.failures import translated
from engine.adapters.redis import keys, records
from engine.adapters.redis.connection import Client, Scripts, texts
from engine.domain.live_records import StationStock
from engine.errors import Conflict, ValidationFailed


@translated
class RedisStations:
    def __init__(self, client: Client, scripts: Scripts) -> None:
        self.client, self.scripts = client, scripts

    async def add_stations(self, campaign_id: str, stock: Mapping[str, int]) -> int:
        """Give new stations their stock (known ones keep theirs); how many were new."""
        args = [x for station, packs in stock.items() for x in (station, packs)]
        if not args:
            return 0
        return int(await self.scripts.run("add_stations", [keys.stations(campaign_id)], args))

    async def move_stock(
        self, campaign_id: str, move_id: str, source: str, target: str, packs: int
    ) -> bool:
        """Move packs once per move id: True now, False when it was moved before."""
        ks = [keys.stations(campaign_id), keys.station_moves(campaign_id)]
        reply = await self.scripts.run("move_stock", ks, [move_id, source, target, packs])
        status = int(reply[0])
        if status == -1:
            raise ValidationFailed("both stations must belong to the campaign")
        if status == -2:
            left = int(reply[1])
            raise Conflict(f"station {source} has {left} packs left", left=left)
        return status == 1

    async def close_station(self, campaign_id: str, station_id: str) -> None:
        await self.client.hset(keys.stations(campaign_id), records.closed_field(station_id), 1)

    async def station_stock(self, campaign_id: str) -> dict[str, StationStock]:
        return records.station_stocks(texts(await self.client.hgetall(keys.stations(campaign_id))))
