"""Single-use redemption: the meaning of the redemption script's answers."""

from __future__ import annotations

from dataclasses import dataclass

from engine.errors import AlreadyRedeemed, Expired, Forbidden, NotYetIssued, ValidationFailed

REDEEMED, REPEAT = 1, 2


@dataclass(frozen=True, slots=True)
class RedeemOutcome:
    status: int
    state: str
    at_ms: int
    face_value_fen: int

    @property
    def is_new(self) -> bool:
        return self.status == REDEEMED


def interpret_redemption(reply: list) -> RedeemOutcome:
    status = int(reply[0])
    if status in (REDEEMED, REPEAT):
        state = reply[1].decode() if isinstance(reply[1], bytes) else reply[1]
        return RedeemOutcome(status, state, int(reply[2]), int(reply[3]))
    if status == -1:
        raise NotYetIssued()
    if status == -2:
        raise Forbidden("This merchant is not enrolled in the voucher's campaign")
    if status == -3:
        raise AlreadyRedeemed()
    if status == -4:
        raise Expired()
    if status == -6:
        raise ValidationFailed("This Idempotency-Key was already used for another code")
    raise ValueError(f"unknown redemption status {status}")
