"""The decision store's record of one claim, redemption, reversal or voucher, as the use
cases read it. The Redis adapter decodes its hashes into these (adapters/redis/records.py);
nothing outside it knows how they are stored.

A record that does not exist reads as one in state `MISSING`, with every other field
empty: a caller asks what state a decision is in, and "none" is one of the answers.
"""

from __future__ import annotations

from dataclasses import dataclass

# The state of a decision that has no record (never made, or its record expired).
MISSING = "missing"
# A claim is pending until the broker acknowledges its event, acked after, taken once a
# stream worker applied it, issued once its voucher is active, released when undone,
# cancelled when its worker gave a booked slot's place back (cancel_claim.lua).
RELEASED = "released"
CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class ClaimRecord:
    state: str
    serial: int = 0
    worker_id: str = ""
    admitted_at_ms: int = 0
    face_value_fen: int = 0
    partner_code: str = ""  # the pool code handed out with the claim, if the campaign has one
    station_id: str = ""  # the station whose stock it took, for a pick-up campaign

    @property
    def exists(self) -> bool:
        return self.state != MISSING


@dataclass(frozen=True, slots=True)
class RedemptionRecord:
    state: str
    serial: int = 0
    merchant_id: str = ""
    at_ms: int = 0
    amount_fen: int = 0
    balance_fen: int = 0  # the voucher's balance right after this redemption
    face_value_fen: int = 0
    refunded_fen: int = 0
    store_id: str = ""
    terminal_id: str = ""
    order_fen: int = 0  # the order a discount was granted on (0: not a discount)

    @property
    def exists(self) -> bool:
        return self.state != MISSING

    @property
    def used_fen(self) -> int:
        """What it took from the voucher's balance: a discount spends the whole voucher."""
        return self.face_value_fen if self.order_fen else self.amount_fen


@dataclass(frozen=True, slots=True)
class ReversalRecord:
    state: str
    serial: int = 0
    merchant_id: str = ""
    redemption_id: str = ""
    amount_fen: int = 0
    at_ms: int = 0

    @property
    def exists(self) -> bool:
        return self.state != MISSING


DecisionRecord = ClaimRecord | RedemptionRecord | ReversalRecord


def decided_at_ms(record: DecisionRecord) -> int:
    """When the decision was made (the repair compares it with the log's fences)."""
    return record.admitted_at_ms if isinstance(record, ClaimRecord) else record.at_ms


@dataclass(frozen=True, slots=True)
class VoucherState:
    """An issued voucher's live state: what a redemption decides against."""

    status: str  # a VoucherStatus as the last decision wrote it
    claim_id: str
    face_value_fen: int
    balance_fen: int
    expires_at_s: int
    stored_value: bool  # redeemable in parts
    code_digest: str = ""
    redeemed_by: str = ""
    redeemed_at_ms: int | None = None
    revoked_reason: str | None = None
    station_id: str = ""  # handed out only there (a store key of that station or provider)
    check_in_from_ms: int = 0  # a booking's: redeemed (checked in) from then on only


@dataclass(frozen=True, slots=True)
class SlotTerms:
    """What a booked slot's place carries into the decisions (engine.domain.slots.terms)."""

    bookable_until_ms: int  # its start: no booking from then on
    valid_until_s: int  # its end: the booking's voucher lapses then, a no-show
    store_id: str  # the provider's store: the only key that checks a worker in
    check_in_from_ms: int


@dataclass(frozen=True, slots=True)
class StationStock:
    """A place's stock left to claim (a station's packs, a slot's places), and whether it
    takes claims; a slot's place carries its terms."""

    left: int
    open: bool = True
    slot: SlotTerms | None = None
