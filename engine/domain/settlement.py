"""A decision (a claim, a redemption, a reversal) between Redis and the broker.

Redis records each decision as 'pending' until the broker acknowledges its event; the
API then confirms it ('acked') and a stream worker takes it ('taken') when it applies
the event. A decision released before it was taken is void: a late copy of its event
finds it 'released' (or 'stale', when a retry re-admitted the claim under a new serial).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PENDING = "pending"
VOID_STATES = frozenset({"released", "stale"})
# Decided and not applied yet: what must be sent again when the log was lost.
UNAPPLIED_STATES = frozenset({PENDING, "acked", "taken"})

DecisionKind = Literal["claim", "redemption", "reversal"]


@dataclass(frozen=True, slots=True)
class Decision:
    kind: DecisionKind
    campaign_id: str
    decision_id: str


@dataclass(frozen=True, slots=True)
class Activation:
    """A voucher the issuer made redeemable: its claim becomes 'issued'."""

    campaign_id: str
    claim_id: str
    serial: int
    face_value_fen: int
    expires_at: int
    stored_value: bool = False
    code_digest: str = ""  # codes.code_digest of the stored code: the online check
    station_id: str = ""  # a pack is handed out at this station only


@dataclass(frozen=True, slots=True)
class ClaimInFlight:
    """An admitted claim not issued yet, as its record in Redis holds it."""

    campaign_id: str
    claim_id: str
    serial: int
    worker_id: str
    face_value_fen: int
    admitted_at_ms: int
    partner_code: str
    campaign_version: int  # 0: not recorded (admitted before versions were kept)
    station_id: str = ""
    valid_until_s: int = 0  # a booking's: its slot's end (0: the campaign's valid_until)


@dataclass(frozen=True, slots=True)
class RedemptionInFlight:
    """A redemption not yet known to be in the ledger."""

    campaign_id: str
    redemption_id: str
    serial: int
    merchant_id: str
    at_ms: int
    amount_fen: int
    balance_fen: int
    face_value_fen: int
    store_id: str
    terminal_id: str
    order_fen: int = 0


@dataclass(frozen=True, slots=True)
class ReversalInFlight:
    """A reversal not yet known to be in the ledger."""

    campaign_id: str
    reversal_id: str
    redemption_id: str
    serial: int
    merchant_id: str
    at_ms: int
    amount_fen: int


InFlight = ClaimInFlight | RedemptionInFlight | ReversalInFlight
