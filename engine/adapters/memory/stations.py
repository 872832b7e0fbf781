"""A campaign's places in memory: the stock per station or slot the decisions take, by
add_places.lua's, move_stock.lua's and cancel_claim.lua's rules (StationStocks), and
the stations' records by the named queries' (StationRecords)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from engine.adapters.memory.live_state import LiveCampaign, LiveState
from engine.adapters.memory.tables import TableStore
from engine.domain.admission import ClaimCancel
from engine.domain.live_records import CANCELLED, SlotTerms, StationStock
from engine.domain.slots import Slot, SlotFill
from engine.domain.stations import TO_CHOOSE, Station
from engine.domain.vouchers import voucher_use
from engine.errors import (
    AlreadyRedeemed,
    Conflict,
    Expired,
    NotFound,
    NotYetIssued,
    Revoked,
    StationClosed,
    StationOutOfStock,
    Unavailable,
    ValidationFailed,
)


class MemoryStations:
    def __init__(self, live: LiveState) -> None:
        self.live = live

    def _campaign(self, campaign_id: str) -> LiveCampaign:
        campaign = self.live.live(campaign_id)
        if campaign is None:
            raise Unavailable("The campaign's live state is being rebuilt; retry shortly")
        return campaign

    async def add_stations(self, campaign_id: str, stock: Mapping[str, int]) -> int:
        return await self.add_slots(campaign_id, {s: (n, None) for s, n in stock.items()})

    async def add_slots(
        self, campaign_id: str, places: Mapping[str, tuple[int, SlotTerms | None]]
    ) -> int:
        stations = self._campaign(campaign_id).state.stations
        new = {place: held for place, held in places.items() if place not in stations}
        stations.update({p: StationStock(n, slot=slot) for p, (n, slot) in new.items()})
        return len(new)

    async def cancel_claim(self, cancel: ClaimCancel) -> bool:
        campaign = self._campaign(cancel.campaign_id)
        state = campaign.state
        record = state.claims.get(cancel.claim_id)
        voucher = state.vouchers.get(cancel.serial)
        if record is None or voucher is None or record.worker_id != cancel.worker_id:
            raise NotFound("No such booking of yours")
        if record.state == CANCELLED:
            return False
        if voucher.status == "revoked":
            raise Revoked()
        if voucher.status == "expired":
            raise Expired("The slot is over: the booking lapsed")
        if voucher.status == "redeemed" or voucher.balance_fen != voucher.face_value_fen:
            raise AlreadyRedeemed("The worker was checked in: a booking used cannot be cancelled")
        state.vouchers[cancel.serial] = replace(
            voucher, status="revoked", revoked_reason=cancel.reason
        )
        state.counters.revoked += 1
        campaign.give_back(cancel.claim_id, record, cancel.period)
        state.claims[cancel.claim_id] = replace(record, state=CANCELLED)
        return True

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

    async def choose_station(
        self, campaign_id: str, claim_id: str, serial: int, station_id: str
    ) -> bool:
        state = self._campaign(campaign_id).state
        voucher = state.vouchers.get(serial)
        if voucher is None:
            raise NotYetIssued()
        if voucher.station_id == station_id:
            return False
        if voucher.station_id != TO_CHOOSE:
            raise Conflict(f"This pack's station is chosen already ({voucher.station_id})")
        if voucher.status != "issued":
            raise Conflict(f"This pack is {voucher.status}: its station cannot be chosen")
        stock = state.stations.get(station_id)
        if stock is None:
            raise ValidationFailed("No such station in this campaign")
        if not stock.open:
            raise StationClosed()
        if stock.left <= 0:
            raise StationOutOfStock()
        state.stations[station_id] = replace(stock, left=stock.left - 1)
        state.vouchers[serial] = replace(voucher, station_id=station_id)
        state.claims[claim_id] = replace(state.claims[claim_id], station_id=station_id)
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

    async def choose_station(self, claim_id: str, station_id: str) -> bool:
        held = self.t.vouchers.get(claim_id)
        if held is None or held.station_id != TO_CHOOSE:
            return False
        self.t.vouchers[claim_id] = replace(held, station_id=station_id)
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


class MemorySlotRecords(TableStore):
    async def add_slots(self, campaign_id: str, slots: Sequence[Slot]) -> None:
        known = self.t.slots.setdefault(campaign_id, {})
        for slot in slots:
            held = known.get(slot.slot_id)
            known[slot.slot_id] = (
                slot
                if held is None
                else replace(held, service=slot.service, provider_name=slot.provider_name)
            )

    async def slots_of(self, campaign_id: str) -> list[Slot]:
        held = self.t.slots.get(campaign_id, {}).values()
        return sorted(held, key=lambda s: (s.starts_at, s.slot_id))

    async def slot_fill(self, campaign_id: str, now: datetime) -> dict[str, SlotFill]:
        fill: dict[str, SlotFill] = {}
        used = Counter[tuple[str, int]]()
        for link in self.t.ledger:
            e = link.entry
            used[(e.campaign_id, e.serial)] += voucher_use(
                e.amount_fen, e.face_value_fen, e.order_fen
            )
        for v in self.t.vouchers.values():
            if v.campaign_id != campaign_id or not v.station_id:
                continue
            f = fill.get(v.station_id, SlotFill())
            if v.cancelled_at is not None:
                fill[v.station_id] = replace(f, cancelled=f.cancelled + 1)
                continue
            checked_in = used[(campaign_id, v.serial)] > 0
            fill[v.station_id] = replace(
                f,
                booked=f.booked + 1,
                checked_in=f.checked_in + checked_in,
                no_shows=f.no_shows + (not checked_in and v.valid_until <= now),
            )
        return fill
