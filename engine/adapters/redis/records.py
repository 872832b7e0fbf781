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
    VoucherState,
)

Fields = dict[str, str]


def claim_record(f: Fields) -> ClaimRecord:
    if not f:
        return ClaimRecord(MISSING)
    return ClaimRecord(
        state=f.get("state", MISSING),
        serial=int(f.get("serial", 0)),
        worker_id=f.get("worker", ""),
        admitted_at_ms=int(f.get("at_ms", 0)),
        face_value_fen=int(f.get("face", 0)),
        partner_code=f.get("pcode", ""),
    )


def claim_fields(r: ClaimRecord) -> Fields:
    return {
        "state": r.state,
        "serial": str(r.serial),
        "worker": r.worker_id,
        "at_ms": str(r.admitted_at_ms),
        "face": str(r.face_value_fen),
        "pcode": r.partner_code,
    }


def redemption_record(f: Fields) -> RedemptionRecord:
    if not f:
        return RedemptionRecord(MISSING)
    return RedemptionRecord(
        state=f.get("state", MISSING),
        serial=int(f.get("serial", 0)),
        merchant_id=f.get("merchant", ""),
        at_ms=int(f.get("at_ms", 0)),
        amount_fen=int(f.get("amount", 0)),
        balance_fen=int(f.get("balance", 0)),
        face_value_fen=int(f.get("face", 0)),
        refunded_fen=int(f.get("refunded", 0)),
        store_id=f.get("store", ""),
        terminal_id=f.get("terminal", ""),
    )


def redemption_fields(r: RedemptionRecord) -> Fields:
    return {
        "state": r.state,
        "serial": str(r.serial),
        "merchant": r.merchant_id,
        "at_ms": str(r.at_ms),
        "amount": str(r.amount_fen),
        "balance": str(r.balance_fen),
        "face": str(r.face_value_fen),
        "refunded": str(r.refunded_fen),
        "store": r.store_id,
        "terminal": r.terminal_id,
    }


def reversal_record(f: Fields) -> ReversalRecord:
    if not f:
        return ReversalRecord(MISSING)
    return ReversalRecord(
        state=f.get("state", MISSING),
        serial=int(f.get("serial", 0)),
        merchant_id=f.get("merchant", ""),
        redemption_id=f.get("redemption", ""),
        amount_fen=int(f.get("amount", 0)),
        at_ms=int(f.get("at_ms", 0)),
    )


def reversal_fields(r: ReversalRecord) -> Fields:
    return {
        "state": r.state,
        "serial": str(r.serial),
        "merchant": r.merchant_id,
        "amount": str(r.amount_fen),
        "at_ms": str(r.at_ms),
        "redemption": r.redemption_id,
    }


def voucher_state(f: Fields) -> VoucherState | None:
    """None: no voucher is active under this serial (not issued yet)."""
    if not f:
        return None
    redeemed_at = f.get("redeemed_at_ms")
    return VoucherState(
        status=f.get("status", ""),
        claim_id=f.get("claim_id", ""),
        face_value_fen=int(f.get("face", 0)),
        balance_fen=int(f.get("balance", 0)),
        expires_at_s=int(f.get("expires_at", 0)),
        stored_value=f.get("stored") == "1",
        code_digest=f.get("digest", ""),
        redeemed_by=f.get("redeemed_by", ""),
        redeemed_at_ms=None if redeemed_at is None else int(redeemed_at),
        revoked_reason=f.get("revoked_reason"),
    )


def voucher_fields(v: VoucherState) -> Fields:
    f = {
        "status": v.status,
        "claim_id": v.claim_id,
        "face": str(v.face_value_fen),
        "balance": str(v.balance_fen),
        "expires_at": str(v.expires_at_s),
        "stored": "1" if v.stored_value else "0",
    }
    if v.code_digest:
        f["digest"] = v.code_digest
    if v.redeemed_by:
        f["redeemed_by"] = v.redeemed_by
    if v.redeemed_at_ms is not None:
        f["redeemed_at_ms"] = str(v.redeemed_at_ms)
    if v.revoked_reason is not None:
        f["revoked_reason"] = v.revoked_reason
    return f


def cap_reservation(group: str, claim_id: str, f: Fields) -> CapReservation | None:
    """None: no reservation is held for the claim."""
    if not f:
        return None
    return CapReservation(
        group,
        f.get("period", ""),
        claim_id,
        f.get("worker", ""),
        f.get("campaign", ""),
        int(f.get("amount", 0)),
    )


def cap_reservation_fields(r: CapReservation) -> Fields:
    return {
        "amount": str(r.amount),
        "worker": r.worker_id,
        "campaign": r.campaign_id,
        "period": r.period,
    }
