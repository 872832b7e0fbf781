"""An Idempotency-Key belongs to its caller and to one request.

A caller (a worker, a merchant) chooses a key per intent and sends it again with every
retry. The key is bound, in the caller's own slot and before anything is decided, to a
digest of what the request means: a repeat with the same meaning gets the first answer;
the same key with another meaning (another campaign, code, amount, store or terminal) is
refused with `IdempotencyKeyReused` and changes nothing, whatever campaign it names.

What counts as the request's meaning:

| operation | the digest covers |
|---|---|
| claim | campaign, face value (after the default is applied) |
| redeem | the presented code (its digest), amount (0: the whole balance), store, terminal |
| reverse | redemption, amount (0: all that is left), store |

The time of an offline redemption is not part of it: a till that tried online, lost the
answer and recorded the redemption offline sends the same intent later.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

WORKER, MERCHANT = "w", "m"


@dataclass(frozen=True, slots=True)
class KeyBinding:
    """`caller_kind` WORKER or MERCHANT; `caller_id` their id; `operation` what the key is
    for (claim, redeem, reverse: each has its own keys); `digest` the request's meaning."""

    caller_kind: str
    caller_id: str
    operation: str
    key: str
    digest: str

    @property
    def key_digest(self) -> str:
        """The key as stored: fixed length, whatever characters the caller chose."""
        return _digest(self.operation, self.key)


def _digest(*parts: str | int) -> str:
    joined = "\x1f".join(str(p) for p in parts)
    return hashlib.sha256(joined.encode()).hexdigest()[:32]


def claim_binding(
    worker_id: str, key: str, campaign_id: str, face_value_fen: int, station_id: str = ""
) -> KeyBinding:
    # A pick-up claim's station is part of its meaning; other claims keep their digest.
    station = (station_id,) if station_id else ()
    meaning = _digest(campaign_id, face_value_fen, *station)
    return KeyBinding(WORKER, worker_id, "claim", key, meaning)


def redemption_binding(
    merchant_id: str,
    key: str,
    code_digest: str,
    amount_fen: int | None,
    store_id: str | None,
    terminal_id: str | None,
    order_fen: int | None = None,
) -> KeyBinding:
    parts = (code_digest, amount_fen or 0, store_id or "", terminal_id or "")
    # A discount's order is part of its meaning; other requests keep their digest as before.
    meaning = _digest(*parts, *(() if order_fen is None else (order_fen,)))
    return KeyBinding(MERCHANT, merchant_id, "redeem", key, meaning)


def reversal_binding(
    merchant_id: str, key: str, redemption_id: str, amount_fen: int | None, store_id: str | None
) -> KeyBinding:
    meaning = _digest(redemption_id, amount_fen or 0, store_id or "")
    return KeyBinding(MERCHANT, merchant_id, "reverse", key, meaning)
