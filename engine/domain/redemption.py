"""Redemption and reversal: the meaning of their scripts' answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from engine.errors import (
    AlreadyRedeemed,
    Expired,
    Forbidden,
    InsufficientBalance,
    NotFound,
    NotYetIssued,
    ReversalWindowClosed,
    Revoked,
    Unavailable,
    ValidationFailed,
)

NEW, REPEAT = 1, 2


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


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

    @property
    def is_new(self) -> bool:
        return self.status == NEW


def interpret_redemption(reply: list) -> RedeemOutcome:
    status = int(reply[0])
    if status in (NEW, REPEAT):
        return RedeemOutcome(status, _text(reply[1]), *(int(x) for x in reply[2:6]))
    if status == -1:
        raise NotYetIssued()
    if status == -2:
        raise Forbidden("This merchant is not enrolled in the voucher's campaign")
    if status == -3:
        by, at_ms = _text(reply[1]), int(reply[2])
        raise AlreadyRedeemed(redeemed_by=by, redeemed_at=iso_ms(at_ms))
    if status == -4:
        raise Expired()
    if status == -5:
        raise Revoked()
    if status == -6:
        raise ValidationFailed("This Idempotency-Key was already used for another code")
    if status == -9:
        raise Unavailable("The campaign's live state is being rebuilt; retry shortly")
    if status == -7:
        balance = int(reply[1])
        raise InsufficientBalance(
            f"The voucher has {balance} fen left; a single-use voucher is redeemed whole",
            balance_fen=balance,
        )
    raise ValueError(f"unknown redemption status {status}")


@dataclass(frozen=True, slots=True)
class ReverseOutcome:
    status: int
    state: str
    amount_fen: int
    at_ms: int

    @property
    def is_new(self) -> bool:
        return self.status == NEW


def interpret_reversal(reply: list) -> ReverseOutcome:
    status = int(reply[0])
    if status in (NEW, REPEAT):
        return ReverseOutcome(status, _text(reply[1]), int(reply[2]), int(reply[3]))
    if status == -1:
        raise NotFound("No such redemption")
    if status == -2:
        raise Forbidden("A merchant may reverse only its own redemptions, a store key its store's")
    if status == -3:
        raise ReversalWindowClosed()
    if status == -4:
        left = int(reply[1])
        raise InsufficientBalance(
            f"At most {left} fen of this redemption can be given back", refundable_fen=left
        )
    if status == -5:
        raise ValidationFailed("This Idempotency-Key was already used for another redemption")
    raise ValueError(f"unknown reversal status {status}")
