"""A pick-up campaign's stations: operations define them, move stock between them and
close them (each audited); workers find the open ones with packs left; operations see each
station's stock and pick-ups live. Each claim takes its station's stock in the admission
itself (engine/usecases/claims.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from engine.domain.audit import Actor, AuditEntry
from engine.domain.campaigns import Campaign
from engine.domain.live_records import StationStock
from engine.domain.stations import Station, by_place, check_choice, check_move, offered
from engine.domain.tokens import WorkerIdentity
from engine.errors import Conflict, NotFound, ValidationFailed
from engine.usecases.ports import AuditLog, StationRecords, StationStocks, VoucherRecords
from engine.usecases.read_caches import Campaigns
from engine.usecases.voucher_views import pickup_view


class Records(StationRecords, VoucherRecords, AuditLog, Protocol):
    """Stations and their moves, each change audited in its transaction."""


class Stations:
    def __init__(self, *, records: Records, live: StationStocks, campaigns: Campaigns) -> None:
        self.records, self.live, self.campaigns = records, live, campaigns

    async def _pickup_campaign(self, campaign_id: str) -> Campaign:
        campaign = await self.campaigns.get(campaign_id)
        if not campaign.stations:
            raise NotFound("This campaign is not picked up at stations")
        return campaign

    async def define(
        self, campaign_id: str, stations: Sequence[Station], by: Actor
    ) -> list[dict[str, Any]]:
        """Add stations with their stock, or rename known ones (their stock changes only by
        moves). Safe to repeat."""
        await self._pickup_campaign(campaign_id)
        ids = [s.station_id for s in stations]
        if len(set(ids)) != len(ids):
            raise ValidationFailed("station ids must not repeat")
        async with self.records.transaction():
            await self.records.add_stations(campaign_id, stations)
            after = {"stations": ids}
            target = f"campaign:{campaign_id}"
            await self.records.insert_audit(
                AuditEntry.of(by, "stations.define", target, after=after)
            )
        # Recorded first: a rebuild of the decisions then finds every station there is.
        stored = await self.records.stations_of(campaign_id)
        await self.live.add_stations(campaign_id, {s.station_id: s.stock for s in stored})
        return await self.ops_view(campaign_id)

    async def ops_view(self, campaign_id: str) -> list[dict[str, Any]]:
        """Every station: its allotted stock, what is left to claim, and what was picked up."""
        await self._pickup_campaign(campaign_id)
        stations = by_place(await self.records.stations_of(campaign_id))
        live = await self.live.station_stock(campaign_id)
        picked = await self.records.station_pickups(campaign_id)
        return [
            _shown(s, live.get(s.station_id)) | {"picked_up": picked.get(s.station_id, 0)}
            for s in stations
        ]

    async def offered(self, campaign_id: str, query: str = "") -> list[dict[str, Any]]:
        """What a worker may choose: the open stations with packs left, matching `query`."""
        await self._pickup_campaign(campaign_id)
        live = await self.live.station_stock(campaign_id)
        stations = await self.records.stations_of(campaign_id)
        open_now = [s for s in stations if (live.get(s.station_id) or StationStock(0)).open]
        left = {station: stock.left for station, stock in live.items()}
        return [_shown(s, live.get(s.station_id)) for s in offered(open_now, left, query)]

    async def move(
        self, campaign_id: str, move_id: str, source: str, target: str, packs: int, by: Actor
    ) -> dict[str, Any]:
        """Move packs not yet claimed from one station to another, once per move id."""
        await self._pickup_campaign(campaign_id)
        check_move(set(await self.live.station_stock(campaign_id)), source, target, packs)
        async with self.records.transaction():
            # Recorded and decided together: if the decision refuses, the record rolls back;
            # if the commit fails after it, a retry finds the decision made and records it.
            moved_now = await self.records.record_move(campaign_id, move_id, source, target, packs)
            if moved_now:
                await self.live.move_stock(campaign_id, move_id, source, target, packs)
                change = {"from": source, "to": target, "packs": packs, "move_id": move_id}
                entry = AuditEntry.of(by, "stations.move", f"campaign:{campaign_id}", after=change)
                await self.records.insert_audit(entry)
        return {
            "move_id": move_id,
            "moved": moved_now,
            "stations": await self.ops_view(campaign_id),
        }

    async def choose(self, who: WorkerIdentity, claim_id: str, station_id: str) -> dict[str, Any]:
        """The worker's pack claimed without a station gets one, once (a retry of the same
        choice answers it again): recorded and decided in one transaction."""
        voucher = await self.records.voucher_by_claim(claim_id)
        if voucher is None or voucher.worker_id != who.worker_id:
            raise NotFound("No such pack of yours")
        await self._pickup_campaign(voucher.campaign_id)
        if check_choice(voucher.station_id or "", station_id):
            async with self.records.transaction():
                if not await self.records.choose_station(claim_id, station_id):
                    raise Conflict("This pack's station was chosen meanwhile")
                await self.live.choose_station(
                    voucher.campaign_id, claim_id, voucher.serial, station_id
                )
        stations = {s.station_id: s for s in await self.records.stations_of(voucher.campaign_id)}
        return pickup_view(stations.get(station_id), station_id)

    async def close(self, campaign_id: str, station_id: str, by: Actor) -> list[dict[str, Any]]:
        """No more claims name it; packs already claimed there are still handed out."""
        await self._pickup_campaign(campaign_id)
        async with self.records.transaction():
            if not await self.records.close_station(campaign_id, station_id):
                raise NotFound("No such station in this campaign")
            target = f"campaign:{campaign_id}"
            after = {"station_id": station_id}
            await self.records.insert_audit(
                AuditEntry.of(by, "stations.close", target, after=after)
            )
        await self.live.close_station(campaign_id, station_id)
        return await self.ops_view(campaign_id)


def _shown(station: Station, live: StationStock | None) -> dict[str, Any]:
    stock = live or StationStock(0, station.open)
    return {
        "station_id": station.station_id,
        "name": station.name,
        "district": station.district,
        "address": station.address,
        "open": station.open and stock.open,
        "stock": station.stock,
        "left": stock.left,
    }
