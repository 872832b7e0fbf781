"""A voucher's status, decided in one place.

Precedence, highest first: revoked (ops withdrew it), redeemed (nothing left to spend),
expired (marked by the expiry timer, or past its validity), issued. A used-up voucher
stays "redeemed" after its validity ends: the worker used it, it did not lapse.
`redeem.lua` makes the same decision atomically and refuses in this order; the
contract test in tests/integration/test_attacks.py holds the two together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from engine.domain.live_records import VoucherState


class VoucherStatus(StrEnum):
    ISSUED = "issued"
    REDEEMED = "redeemed"
    EXPIRED = "expired"
    REVOKED = "revoked"


def voucher_status(*, revoked: bool, balance_fen: int, expired: bool) -> VoucherStatus:
    if revoked:
        return VoucherStatus.REVOKED
    if balance_fen <= 0:
        return VoucherStatus.REDEEMED
    if expired:
        return VoucherStatus.EXPIRED
    return VoucherStatus.ISSUED


def voucher_use(amount_fen: int, face_value_fen: int, order_fen: int | None) -> int:
    """What one ledger row takes from a voucher's balance (negative: gives back). A row's
    amount, except that a discount is granted on one order and spends the whole voucher,
    and reversing it (whole) restores the whole voucher. Migration 010's ledger.voucher_fen
    is the same rule in SQL."""
    if order_fen is None:
        return amount_fen
    return face_value_fen if amount_fen > 0 else -face_value_fen


def live_status(state: VoucherState | None, now_ms: int) -> VoucherStatus | None:
    """The status of a voucher from its live state (None: not issued yet)."""
    if state is None:
        return None
    return voucher_status(
        revoked=state.status == VoucherStatus.REVOKED,
        balance_fen=state.balance_fen,
        expired=state.status == VoucherStatus.EXPIRED or now_ms >= state.expires_at_s * 1000,
    )


# Why a status keeps a voucher from being redeemed: the problem types a redemption answers.
REFUSAL = {
    VoucherStatus.REVOKED: "revoked",
    VoucherStatus.REDEEMED: "already-redeemed",
    VoucherStatus.EXPIRED: "expired",
}


# A voucher as the issuer writes it: claim id, campaign id, serial, worker id, face value
# (fen), signing key id, code, valid until, admitted at, campaign version, partner code,
# request id.
# (claim, campaign, serial, worker, face, key id, code, valid until, admitted at, campaign
# version, partner code, request id, station)
VoucherRow = tuple[
    str, str, int, str, int, int, str, datetime, datetime, int, str | None, str | None, str | None
]


@dataclass(frozen=True, slots=True)
class IssuedVoucher:
    """A voucher in the system of record, with what its ledger has used of it."""

    claim_id: str
    campaign_id: str
    serial: int
    worker_id: str
    face_value_fen: int
    key_id: int
    code: str
    valid_until: datetime
    admitted_at: datetime
    issued_at: datetime
    campaign_version: int = 1
    partner_code: str | None = None
    request_id: str | None = None
    revoked_at: datetime | None = None
    revoked_reason: str | None = None
    expired_at: datetime | None = None
    station_id: str | None = None  # the place taken: a station's pack, a slot's place
    used_fen: int = 0
    cancelled_at: datetime | None = None  # a booking its worker cancelled (also revoked)

    @property
    def balance_fen(self) -> int:
        return max(self.face_value_fen - self.used_fen, 0)

    @property
    def status(self) -> VoucherStatus:
        return voucher_status(
            revoked=self.revoked_at is not None,
            balance_fen=self.face_value_fen - self.used_fen,
            expired=self.expired_at is not None,
        )
