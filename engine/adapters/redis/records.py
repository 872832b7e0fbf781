"""A decision's hash in Redis, decoded into the record the use cases read.

The fields are the ones admit.lua, redeem.lua, reverse.lua and activate.lua write (and
the rebuild writes again after a Redis loss); only this module reads them by name.
"""

from __future__ import annotations

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
    )


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
