"""Redemption and reversal: what is asked of the redemption store and what it answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

NEW, REPEAT = 1, 2


@dataclass(frozen=True, slots=True)
class RedeemRequest:
    campaign_id: str
    serial: int
    merchant_id: str
    redemption_id: str
    at_ms: int
    amount_fen: int = 0  # 0: the whole balance
    store_id: str | None = None
    terminal_id: str | None = None
    # codes.code_digest of the presented code, compared with the issued one's; "" when the
    # code's signature was verified instead.
    code_digest: str = ""
    # The request's meaning (engine.domain.idempotency): a repeat of the redemption's key
    # with another meaning is refused by the decision itself too.
    request_digest: str = ""
    # A discount voucher's order (fen): amount_fen is then the discount granted on it, and
    # the redemption spends the whole voucher. 0 for any other voucher.
    order_fen: int = 0


@dataclass(frozen=True, slots=True)
class ReverseRequest:
    campaign_id: str
    serial: int
    merchant_id: str
    redemption_id: str
    reversal_id: str
    amount_fen: int  # 0: everything not yet refunded
    now_ms: int
    window_ms: int
    store_id: str | None = None  # a store key reverses only its own store's redemptions
    request_digest: str = ""  # as RedeemRequest's


def iso_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat()


@dataclass(frozen=True, slots=True)
class RedeemOutcome:
    status: int
    state: str
    at_ms: int
    amount_fen: int
    balance_fen: int
    face_value_fen: int
    order_fen: int = 0  # the order a discount was granted on; 0 for other vouchers

    @property
    def is_new(self) -> bool:
        return self.status == NEW


@dataclass(frozen=True, slots=True)
class ReverseOutcome:
    status: int
    state: str
    amount_fen: int
    at_ms: int
    order_fen: int = 0  # the redemption's order when it granted a discount (given back whole)

    @property
    def is_new(self) -> bool:
        return self.status == NEW
