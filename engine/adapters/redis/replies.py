"""What each decision script answers, decoded into a domain outcome or a domain error.

The scripts answer a status code first (positive: done, negative: refused) and the
outcome's fields after it, by position; only this module reads those positions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.adapters.redis.connection import text
from engine.domain.admission import ADMITTED, REPEAT, Admission
from engine.domain.redemption import NEW, RedeemOutcome, ReverseOutcome, iso_ms
from engine.domain.sold_out import StockOut, sold_out
from engine.errors import (
    AlreadyRedeemed,
    AnotherStation,
    ClaimWindowClosed,
    Conflict,
    EngineError,
    Expired,
    Forbidden,
    IdempotencyKeyReused,
    InsufficientBalance,
    InvalidCode,
    LimitReached,
    NotEligible,
    NotFound,
    NotYetIssued,
    RateLimited,
    RegistrationRequired,
    ReversalWindowClosed,
    Revoked,
    SignatureNeeded,
    SlotStarted,
    StationClosed,
    StationNotChosen,
    StationOutOfStock,
    TooEarly,
    TooManyAttempts,
    Unavailable,
    ValidationFailed,
)

Reply = Sequence[Any]
_REBUILDING = "The campaign's live state is being rebuilt; retry shortly"


def admission(reply: Reply) -> Admission:
    """admit.lua: 1 state serial face valid_until number version code | 2 state serial
    face | negative refusals."""
    status = int(reply[0])
    if status == ADMITTED:
        _, state, serial, face, valid_until, number, version, code = reply
        return Admission(
            status,
            text(state),
            int(serial),
            int(face),
            int(valid_until),
            int(number),
            int(version),
            text(code),
        )
    if status == REPEAT:
        face = int(reply[3]) if len(reply) > 3 else 0
        return Admission(status, text(reply[1]), int(reply[2]), face)
    raise _admission_refusal(status, reply)


def _admission_refusal(status: int, reply: Reply) -> EngineError:
    if status == -1:
        # The campaign exists (PostgreSQL said so first) but Redis has no state for it: Redis
        # was lost and `nuanxin reconcile --repair` has not rebuilt it. Answer nothing yet.
        return Unavailable(_REBUILDING)
    if status == -2:
        return ClaimWindowClosed()
    if status == -3:
        return NotEligible("The worker's category is not eligible", failed_rule="category")
    if status == -4:
        _, next_wave_ms, refuses_from, last_serial = reply
        refused = sold_out(int(next_wave_ms))
        refused.stock = StockOut(int(next_wave_ms), int(refuses_from), int(last_serial))
        return refused
    if status == -5:
        return LimitReached()
    if status == -6:
        return LimitReached("The per-worker limit for this period is reached")
    if status == -8:
        return RegistrationRequired()
    if status == -10:
        return RateLimited("Too many claim requests to this campaign", retry_after_s=int(reply[1]))
    if status == -11:
        return IdempotencyKeyReused("This Idempotency-Key was used for a claim of another value")
    if status in (-12, -13, -14):
        return place_refusal(status)
    if status == -15:
        return SlotStarted()
    raise ValueError(f"unknown admission status {status}")


def place_refusal(status: int) -> EngineError:
    """Why a station refuses a pack: admit.lua's and choose_station.lua's -12, -13, -14."""
    if status == -12:
        return ValidationFailed("No such station in this campaign")
    if status == -13:
        return StationClosed()
    return StationOutOfStock()


def redemption(reply: Reply) -> RedeemOutcome:
    """redeem.lua: 1|2 state at_ms amount balance face order | negative refusals."""
    status = int(reply[0])
    if status in (NEW, REPEAT):
        _, state, at_ms, amount, balance, face, order = reply[:7]
        return RedeemOutcome(
            status, text(state), int(at_ms), int(amount), int(balance), int(face), int(order)
        )
    if status == -1:
        raise NotYetIssued()
    if status == -2:
        raise Forbidden("This merchant is not enrolled in the voucher's campaign")
    if status == -3:
        by, at_ms = text(reply[1]), int(reply[2])
        raise AlreadyRedeemed(redeemed_by=by, redeemed_at=iso_ms(at_ms))
    if status == -4:
        raise Expired()
    if status == -5:
        raise Revoked()
    if status == -6:
        raise IdempotencyKeyReused()
    if status == -7:
        balance = int(reply[1])
        raise InsufficientBalance(
            f"The voucher has {balance} fen left; a single-use voucher is redeemed whole",
            balance_fen=balance,
        )
    if status == -8:
        raise InvalidCode()
    if status == -9:
        raise Unavailable(_REBUILDING)
    if status == -11:
        raise SignatureNeeded()
    if status == -12:
        raise AnotherStation(
            f"Handed out only at store {text(reply[1])}, the one it was claimed for"
        )
    if status == -13:
        raise TooEarly(check_in_from=iso_ms(int(reply[1])))
    if status == -14:
        raise StationNotChosen("Choose where to pick it up first")
    raise ValueError(f"unknown redemption status {status}")


def binding(reply: Reply) -> dict[str, str]:
    """bind_key.lua: 1|2 and the profile's fields and values (when asked for) | -1 the key
    names another request | -2 seconds to wait (too many failed codes; nothing bound)."""
    status = int(reply[0])
    if status == -1:
        raise IdempotencyKeyReused()
    if status == -2:
        raise TooManyAttempts(retry_after_s=int(reply[1]))
    flat = reply[1:]
    return {text(flat[i]): text(flat[i + 1]) for i in range(0, len(flat), 2)}


_UNREVOKABLE = {
    -1: "the voucher is not issued yet",
    -2: "the voucher is fully redeemed",
    -3: "the voucher has expired",
}


def revocation(reply: int) -> None:
    """revoke.lua: 1 revoked (or already) | negative: nothing left to stop."""
    if int(reply) < 0:
        raise Conflict(f"cannot revoke: {_UNREVOKABLE[int(reply)]}")


def reversal(reply: Reply) -> ReverseOutcome:
    """reverse.lua: 1 state amount at_ms order | 2 state amount at_ms | negative refusals."""
    status = int(reply[0])
    if status in (NEW, REPEAT):
        order = int(reply[4]) if len(reply) > 4 else 0
        return ReverseOutcome(status, text(reply[1]), int(reply[2]), int(reply[3]), order)
    if status == -1:
        raise NotFound("No such redemption")
    if status == -2:
        raise Forbidden("A merchant may reverse only its own redemptions, a store key its store's")
    if status == -3:
        raise ReversalWindowClosed()
    if status == -4:
        left = int(reply[1])
        raise InsufficientBalance(
            f"At most {left} fen of this redemption can be given back (a discount only whole)",
            refundable_fen=left,
        )
    if status == -5:
        raise IdempotencyKeyReused()
    raise ValueError(f"unknown reversal status {status}")
