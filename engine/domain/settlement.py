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
