"""A decision's hash in Redis, decoded into the record the use cases read.

The fields are the ones admit.lua, redeem.lua, reverse.lua and activate.lua write (and
the rebuild writes again after a Redis loss); only this module reads them by name.
"""

from __future__ import annotations

from engine.domain.admission import CapReservation
from engine.domain.live_records import (
    MISSING,
    ClaimRecord,
    RedemptionRecord,
    ReversalRecord,
    SlotTerms,
    StationStock,
    VoucherState,
)

Fields = dict[str, str]


def claim_record(fields: Fields) -> ClaimRecord:
    if not fields:
        return ClaimRecord(MISSING)
    return ClaimRecord(
        state=fields.get("state", MISSING),
        serial=int(fields.get("serial", 0)),
        worker_id=fields.get("worker", ""),
        admitted_at_ms=int(fields.get("at_ms", 0)),
        face_value_fen=int(fields.get("face", 0)),
        partner_code=fields.get("pcode", ""),
        station_id=fields.get("station", ""),
    )


def claim_fields(record: ClaimRecord) -> Fields:
    return (
        {
            "state": record.state,
            "serial": str(record.serial),
            "worker": record.worker_id,
            "at_ms": str(record.admitted_at_ms),
            "face": str(record.face_value_fen),
        }
        | ({"pcode": record.partner_code} if record.partner_code else {})
        | ({"station": record.station_id} if record.station_id else {})
    )


def redemption_record(fields: Fields) -> RedemptionRecord:
    if not fields:
        return RedemptionRecord(MISSING)
    return RedemptionRecord(
        state=fields.get("state", MISSING),
        serial=int(fields.get("serial", 0)),
        merchant_id=fields.get("merchant", ""),
        at_ms=int(fields.get("at_ms", 0)),
        amount_fen=int(fields.get("amount", 0)),
        balance_fen=int(fields.get("balance", 0)),
        face_value_fen=int(fields.get("face", 0)),
        refunded_fen=int(fields.get("refunded", 0)),
        store_id=fields.get("store", ""),
        terminal_id=fields.get("terminal", ""),
        order_fen=int(fields.get("order", 0)),
    )


def redemption_fields(record: RedemptionRecord) -> Fields:
    # 'order' only where a discount was granted: redeem.lua writes it so.
    order = {"order": str(record.order_fen)} if record.order_fen else {}
    return order | {
        "state": record.state,
        "serial": str(record.serial),
        "merchant": record.merchant_id,
        "at_ms": str(record.at_ms),
        "amount": str(record.amount_fen),
        "balance": str(record.balance_fen),
        "face": str(record.face_value_fen),
        "refunded": str(record.refunded_fen),
        "store": record.store_id,
        "terminal": record.terminal_id,
    }


def reversal_record(fields: Fields) -> ReversalRecord:
    if not fields:
        return ReversalRecord(MISSING)
    return ReversalRecord(
        state=fields.get("state", MISSING),
        serial=int(fields.get("serial", 0)),
        merchant_id=fields.get("merchant", ""),
        redemption_id=fields.get("redemption", ""),
        amount_fen=int(fields.get("amount", 0)),
        at_ms=int(fields.get("at_ms", 0)),
    )


def reversal_fields(record: ReversalRecord) -> Fields:
    return {
        "state": record.state,
        "serial": str(record.serial),
        "merchant": record.merchant_id,
        "amount": str(record.amount_fen),
        "at_ms": str(record.at_ms),
        "redemption": record.redemption_id,
    }


def voucher_state(fields: Fields) -> VoucherState | None:
    """None: no voucher is active under this serial (not issued yet)."""
    if not fields:
        return None
    redeemed_at = fields.get("redeemed_at_ms")
    return VoucherState(
        status=fields.get("status", ""),
        claim_id=fields.get("claim_id", ""),
        face_value_fen=int(fields.get("face", 0)),
        balance_fen=int(fields.get("balance", 0)),
        expires_at_s=int(fields.get("expires_at", 0)),
        stored_value=fields.get("stored") == "1",
        code_digest=fields.get("digest", ""),
        redeemed_by=fields.get("redeemed_by", ""),
        redeemed_at_ms=None if redeemed_at is None else int(redeemed_at),
        revoked_reason=fields.get("revoked_reason"),
        station_id=fields.get("station", ""),
        check_in_from_ms=int(fields.get("from", 0)),
    )


def voucher_fields(voucher: VoucherState) -> Fields:
    f = {
        "status": voucher.status,
        "claim_id": voucher.claim_id,
        "face": str(voucher.face_value_fen),
        "balance": str(voucher.balance_fen),
        "expires_at": str(voucher.expires_at_s),
        "stored": "1" if voucher.stored_value else "0",
    }
    if voucher.code_digest:
        f["digest"] = voucher.code_digest
    if voucher.redeemed_by:
        f["redeemed_by"] = voucher.redeemed_by
    if voucher.redeemed_at_ms is not None:
        f["redeemed_at_ms"] = str(voucher.redeemed_at_ms)
    if voucher.revoked_reason is not None:
        f["revoked_reason"] = voucher.revoked_reason
    if voucher.station_id:
        f["station"] = voucher.station_id
    if voucher.check_in_from_ms:
        f["from"] = str(voucher.check_in_from_ms)
    return f


def cap_reservation(group: str, claim_id: str, fields: Fields) -> CapReservation | None:
    """None: no reservation is held for the claim."""
    if not fields:
        return None
    return CapReservation(
        group,
        fields.get("period", ""),
        claim_id,
        fields.get("worker", ""),
        fields.get("campaign", ""),
        int(fields.get("amount", 0)),
    )


def cap_reservation_fields(reservation: CapReservation) -> Fields:
    return {
        "amount": str(reservation.amount),
        "worker": reservation.worker_id,
        "campaign": reservation.campaign_id,
        "period": reservation.period,
    }


_CLOSED, _SLOT = "closed:", "slot:"


def station_stocks(fields: Fields) -> dict[str, StationStock]:
    """The places hash: place id -> stock left, closed:<id> -> 1, and a slot's
    slot:<id> -> its terms. A place id never holds a colon (PartyId)."""
    return {
        place: StationStock(
            int(left), _CLOSED + place not in fields, slot_terms(fields.get(_SLOT + place, ""))
        )
        for place, left in fields.items()
        if ":" not in place
    }


def station_fields(stations: dict[str, StationStock]) -> Fields:
    left = {place: str(stock.left) for place, stock in stations.items()}
    closed = {_CLOSED + p: "1" for p, stock in stations.items() if not stock.open}
    terms = {_SLOT + p: slot_terms_field(s.slot) for p, s in stations.items() if s.slot}
    return left | closed | terms


def slot_terms_field(terms: SlotTerms | None) -> str:
    """How add_places.lua, admit.lua and activate.lua read a slot's terms."""
    if terms is None:
        return ""
    return "|".join(
        str(x)
        for x in (
            terms.bookable_until_ms,
            terms.valid_until_s,
            terms.store_id,
            terms.check_in_from_ms,
        )
    )


def slot_terms(field: str) -> SlotTerms | None:
    if not field:
        return None
    until_ms, valid_s, store, from_ms = field.split("|")
    return SlotTerms(int(until_ms), int(valid_s), store, int(from_ms))


def closed_field(station_id: str) -> str:
    return _CLOSED + station_id
