"""A voucher as its holder and operations are shown it: its codes (the short one a
cashier types), value, balance and state, and where a pack is picked up."""

from __future__ import annotations

from typing import Any, Protocol

from engine.domain.short_codes import short_code_of, shown
from engine.domain.slots import Slot
from engine.domain.stations import Station
from engine.domain.vouchers import IssuedVoucher
from engine.usecases.ports import SlotRecords, StationRecords


class PlaceRecords(StationRecords, SlotRecords, Protocol):
    """Where a campaign's vouchers are picked up or booked."""


def pickup_view(station: Station | None, station_id: str) -> dict[str, str]:
    if station is None:
        return {"station_id": station_id, "name": station_id, "district": "", "address": ""}
    return {
        "station_id": station.station_id,
        "name": station.name,
        "district": station.district,
        "address": station.address,
    }


def slot_view(slot: Slot) -> dict[str, Any]:
    """A slot as a worker chooses it and a booking shows it."""
    return {
        "slot_id": slot.slot_id,
        "service": slot.service,
        "provider_id": slot.provider_id,
        "provider_name": slot.provider_name,
        "starts_at": slot.starts_at.isoformat(),
        "ends_at": slot.ends_at.isoformat(),
        "cancel_until": (slot.starts_at - slot.cancel_before).isoformat(),
        "check_in_from": (slot.starts_at - slot.early_check_in).isoformat(),
    }


def voucher_view(voucher: IssuedVoucher) -> dict[str, Any]:
    return {
        "claim_id": voucher.claim_id,
        "campaign_id": voucher.campaign_id,
        "serial": voucher.serial,
        "code": voucher.code,
        "short_code": shown(short_code_of(voucher.code)),
        "partner_code": voucher.partner_code,
        "face_value_fen": voucher.face_value_fen,
        "balance_fen": voucher.balance_fen,
        "valid_until": voucher.valid_until.isoformat(),
        "issued_at": voucher.issued_at.isoformat(),
        "status": voucher.status.value,
    }


class Places:
    """A campaign's stations and slots, read once for a list of vouchers."""

    def __init__(self, records: PlaceRecords) -> None:
        self.records = records
        self._stations: dict[str, dict[str, Station]] = {}
        self._slots: dict[str, dict[str, Slot]] = {}

    async def stations(self, campaign_id: str) -> dict[str, Station]:
        if campaign_id not in self._stations:
            found = await self.records.stations_of(campaign_id)
            self._stations[campaign_id] = {s.station_id: s for s in found}
        return self._stations[campaign_id]

    async def slots(self, campaign_id: str) -> dict[str, Slot]:
        if campaign_id not in self._slots:
            found = await self.records.slots_of(campaign_id)
            self._slots[campaign_id] = {s.slot_id: s for s in found}
        return self._slots[campaign_id]
