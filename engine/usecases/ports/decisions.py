"""Ports of the atomic decisions (Redis in production): every one check-and-act in one step."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from engine.domain.admission import Admission, AdmitRequest, CapReservation
from engine.domain.idempotency import KeyBinding
from engine.domain.live_records import (
    ClaimRecord,
    DecisionRecord,
    RedemptionRecord,
    VoucherState,
)
from engine.domain.profiles import WorkerProfile
from engine.domain.redemption import RedeemOutcome, RedeemRequest, ReverseOutcome, ReverseRequest
from engine.domain.settlement import Activation, Decision, InFlight
from engine.events import LogPosition


class AdmissionStore(Protocol):
    """Claim decisions: admission, release, and the cross-campaign cap."""

    async def admit(self, request: AdmitRequest) -> Admission:
        """Admit once (a repeat answers the first admission); raise the refusal."""

    async def release_claim(self, request: AdmitRequest, serial: int) -> str:
        """Undo an admission not yet taken by the issuer; the claim's state afterwards."""

    async def claim_record(self, campaign_id: str, claim_id: str) -> ClaimRecord: ...

    async def holders(self, campaign_id: str, most: int) -> frozenset[str] | None:
        """Every worker that holds or held a claim of the campaign; None past `most`."""

    async def cap_reserve(
        self, reservation: CapReservation, cap: int, ttl_s: int, now_ms: int
    ) -> int:
        """1 reserved now, 2 already reserved for this claim, 0 over the cap."""

    async def cap_release(self, group: str, period: str, claim_id: str, worker_id: str) -> bool: ...
    async def cap_unsettled_before(self, group: str, cutoff_ms: int) -> list[CapReservation]:
        """Reservations made before `cutoff_ms` not yet known to belong to an admission."""

    async def cap_settled(self, group: str, claim_id: str) -> None: ...


class RedemptionStore(Protocol):
    """Redemption and reversal decisions, and the live voucher records they read."""

    async def redeem(self, request: RedeemRequest) -> RedeemOutcome: ...
    async def release_redemption(
        self, campaign_id: str, serial: int, redemption_id: str
    ) -> str: ...
    async def reverse(self, request: ReverseRequest) -> ReverseOutcome: ...
    async def release_reversal(self, request: ReverseRequest) -> str:
        """'released', 'spent' (the refund was redeemed again: complete it instead) or the state it had settled in."""

    async def redemption_record(self, campaign_id: str, redemption_id: str) -> RedemptionRecord: ...
    async def voucher_state(self, campaign_id: str, serial: int) -> VoucherState | None:
        """None until the voucher is issued (active)."""

    async def is_enrolled(self, campaign_id: str, merchant_id: str) -> bool: ...


class Settlement(Protocol):
    """Decisions between the decision store and the broker: confirmed, taken, left behind."""

    async def confirm(self, decision: Decision, serial: int) -> str: ...
    def confirm_soon(self, decision: Decision, serial: int, at: LogPosition | None = None) -> None:
        """Confirm in the background, many per round trip; `at`: where the log put the
        decision's event (the highest such offsets tell a log that lost them)."""

    async def take_many(self, decisions: Sequence[tuple[Decision, int]]) -> list[str]:
        """Take the decisions behind a batch of events, in one round trip; their states."""

    async def activate_many(self, vouchers: Sequence[Activation]) -> list[int]:
        """Make issued vouchers redeemable; 1 where this call did (0: a replay)."""

    async def unsettled_before(
        self, campaign_id: str, cutoff_ms: int, limit: int = 1000
    ) -> list[Decision]: ...
    async def forget_unsettled(self, decision: Decision) -> None: ...
    async def record(self, decision: Decision) -> DecisionRecord: ...
    async def in_flight(self, campaign_ids: Sequence[str]) -> list[InFlight]:
        """Every decision of these campaigns not applied yet: what a lost log carried."""

    async def drain(self) -> None: ...


class Throttle(Protocol):
    """Request rates and failure counts per caller."""

    async def rate(self, caller: str, window_s: int, allowed: int) -> int:
        """Count a request of `caller`; seconds to wait when over the allowance, else 0."""

    async def credential_failure(self, address: str, window_s: int, allowed: int) -> int:
        """Count a wrong credential from `address`; seconds it must wait when over the allowance, else 0."""

    async def code_failures(
        self, merchant_id: str, limits: Sequence[tuple[str, int]], window_s: int, failed: bool
    ) -> int:
        """Seconds to wait before trying again (0 = go ahead); counts a failure if `failed`."""


class KeyBindings(Protocol):
    """Idempotency-Keys bound to their requests in the caller's own slot, before any
    decision: the same key with another request is refused, whatever campaign it names."""

    async def bind_worker(self, binding: KeyBinding) -> WorkerProfile | None:
        """Bind the key (IdempotencyKeyReused if it names another request); the worker's
        profile of record as cached beside it (None: not cached)."""

    async def bind_merchant(
        self, binding: KeyBinding, failure_limits: Sequence[tuple[str, int]]
    ) -> None:
        """Bind the key unless a failed-code counter (scope, allowance) is at its limit
        (TooManyAttempts, nothing bound); IdempotencyKeyReused if it names another request."""

    async def unbind(self, binding: KeyBinding) -> None:
        """Free the key of a request refused as bad input (only if this request holds it)."""
