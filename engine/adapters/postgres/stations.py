"""A pick-up campaign's stations, their allotted stock and the moves between them."""

from __future__ import annotations

from collections.abc import Sequence

from engine.adapters.failures import translated
from engine.adapters.postgres.base import Queries
from engine.domain.stations import Station


@translated
class StationRecords(Queries):
    async def add_stations(self, campaign_id: str, stations: Sequence[Station]) -> None:
        columns = [
            [s.station_id for s in stations],
            [s.name for s in stations],
            [s.district for s in stations],
            [s.address for s in stations],
            [s.stock for s in stations],
        ]
        await self.db().execute(self.q["add_stations"], campaign_id, *columns)

    async def stations_of(self, campaign_id: str) -> list[Station]:
        rows = await self.db().fetch(self.q["stations_of"], campaign_id)
        return [Station(**dict(r)) for r in rows]

    async def record_move(
        self, campaign_id: str, move_id: str, source: str, target: str, packs: int
    ) -> bool:
        async with self.transaction() as conn:
            moved = await conn.fetchval(
                self.q["insert_station_move"], campaign_id, move_id, source, target, packs
            )
            if moved is None:
                return False
            await conn.execute(self.q["move_station_stock"], campaign_id, source, target, packs)
            return True

    async def choose_station(self, claim_id: str, station_id: str) -> bool:
        chosen = await self.db().fetchval(self.q["choose_station"], claim_id, station_id)
        return chosen is not None

    async def close_station(self, campaign_id: str, station_id: str) -> bool:
        closed = await self.db().fetchval(self.q["close_station"], campaign_id, station_id)
        return closed is not None

    async def station_pickups(self, campaign_id: str) -> dict[str, int]:
        rows = await self.db().fetch(self.q["station_pickups"], campaign_id)
        return {r["station_id"]: r["picked_up"] for r in rows}
