"""The engine's exception tree: what went wrong, in words a caller can act on.

No error knows a transport; `engine/api/problems.py` maps each to its HTTP status.
"""

from __future__ import annotations


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""

    slug = "engine-error"
    title = "Engine error"
    # The campaign a refusal concerns, when known: the API counts refusals per campaign.
    campaign_id = "-"

    def __init__(self, detail: str | None = None, **extra: object) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra


class SoldOut(EngineError):
    slug, title = "sold-out", "The campaign has no quota left"
    # What the admission script said with it (engine.domain.sold_out.StockOut), when it
    # did: the API process remembers the sell-out for a moment.
    stock: object | None = None


class LimitReached(EngineError):
    slug, title = "limit-reached", "The per-worker limit for this campaign is reached"


class NotEligible(EngineError):
    slug, title = "not-eligible", "The worker is not eligible for this campaign"


class ClaimWindowClosed(EngineError):
    slug, title = "claim-window-closed", "The campaign is not open for claims"


class RegistrationRequired(EngineError):
    slug, title = (
        "registration-required",
        "This campaign is a lottery: register, and winners receive vouchers at the draw",
    )


class AlreadyRedeemed(EngineError):
    slug, title = "already-redeemed", "The voucher has already been redeemed"


class InsufficientBalance(EngineError):
    slug, title = "insufficient-balance", "The amount exceeds what is left"


class OrderBelowThreshold(EngineError):
    """A threshold discount (满减) asked for an order below its lowest tier; shortfall_fen
    says how much more the order needs."""

    slug, title = "order-below-threshold", "The order is below the discount's lowest threshold"


class ReversalWindowClosed(EngineError):
    slug, title = (
        "reversal-window-closed",
        "The time to reverse this redemption is over",
    )


class TooManyAttempts(EngineError):
    slug, title = "too-many-attempts", "Too many failed attempts; wait and retry"


class RateLimited(EngineError):
    slug, title = "rate-limited", "Too many requests; wait and retry"


class Revoked(EngineError):
    slug, title = "revoked", "The voucher was revoked by the union"


class InvalidCode(EngineError):
    slug, title = "invalid-code", "The code is not a valid voucher code"


class Expired(EngineError):
    slug, title = "expired", "The voucher has expired"


class Unauthorized(EngineError):
    slug, title = "unauthorized", "Missing or invalid credentials"


class Forbidden(EngineError):
    slug, title = "forbidden", "The caller may not do this"


class NotFound(EngineError):
    slug, title = "not-found", "No such resource"


class Conflict(EngineError):
    slug, title = "conflict", "The resource already exists"


class StationOutOfStock(Conflict):
    """The station named has no packs left to claim; others may still have."""

    slug, title = "station-out-of-stock", "This station has no packs left; choose another"


class StationNotChosen(Conflict):
    """A pack claimed without a station is handed out once its worker chooses one."""

    slug, title = "station-not-chosen", "Its station is not chosen yet"


class StationClosed(Conflict):
    slug, title = "station-closed", "This station is closed"


class AnotherStation(Forbidden):
    """A pack is handed out only at the station it was claimed for, by that station's key."""

    slug, title = "another-station", "This is handed out at another station or provider"


class SlotStarted(Conflict):
    """A slot is booked until it starts; the worker chooses another."""

    slug, title = "slot-started", "This slot has started; choose another"


class CaseClosed(Conflict):
    """A closed case of the cash-out watch is decided: it is neither held nor decided again."""

    slug, title = "case-closed", "The case is closed"


class CancelDeadlinePassed(Conflict):
    slug, title = "cancel-deadline-passed", "Too close to the slot to cancel the booking"


class TooEarly(Conflict):
    """A booking is checked in only from a margin before its slot starts."""

    slug, title = "too-early", "Too early to check in for this slot"


class ValidationFailed(EngineError):
    slug, title = "validation-error", "The request is not valid"


class IdempotencyKeyReused(ValidationFailed):
    """The same Idempotency-Key came with another request (another campaign, code, amount,
    store or terminal): nothing was done, and no other request's answer is given."""

    slug, title = (
        "idempotency-key-reused",
        "This Idempotency-Key was already used for another request; choose a new one",
    )


class RequestInProgress(EngineError):
    slug, title = (
        "request-in-progress",
        "A request with this Idempotency-Key is still being processed; retry shortly",
    )


class Unavailable(EngineError):
    slug, title = "unavailable", "A backing service is unavailable; retry later"


class BackendDown(Unavailable):
    """Redis or PostgreSQL could not be reached or did not answer in time: what the
    adapters raise for their drivers' connection errors (the driver's error is the
    cause), so nothing outside them knows a driver's exceptions."""


class SignatureNeeded(EngineError):
    """No issued code to compare a presented one with: its signature decides. Never
    leaves the engine (the redemption use case verifies and asks again)."""


class Overloaded(Unavailable):
    """More requests than the process serves quickly: refused before any decision."""

    slug, title = "overloaded", "The service is busy; retry after the stated seconds"


class NotYetIssued(Unavailable):
    """A genuine code whose voucher state is not in Redis yet (issuance lag)."""

    title = "The voucher is still being issued; retry shortly"
