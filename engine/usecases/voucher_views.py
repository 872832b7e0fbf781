"""A voucher as its holder and operations are shown it: its codes (the short one a
cashier types), value, balance and state, and where a pack is picked up."""

from __future__ import annotations

from typing import Any

from engine.domain.short_codes import short_code_of, shown
from engine.domain.stations import Station
from engine.domain.vouchers import IssuedVoucher


def pickup_view(station: Station | None, station_id: str) -> dict[str, str]:
    if station is None:
        return {"station_id": station_id, "name": station_id, "district": "", "address": ""}
    return {
        "station_id": station.station_id,
        "name": station.name,
        "district": station.district,
        "address": station.address,
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
