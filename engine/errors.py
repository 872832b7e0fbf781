"""The engine's exception tree. The API maps these to problem+json in one place."""

from __future__ import annotations


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""

    slug = "engine-error"
    status = 500
    title = "Engine error"

    def __init__(self, detail: str | None = None, **extra: object) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra


class SoldOut(EngineError):
    slug, status, title = "sold-out", 410, "The campaign has no quota left"


class LimitReached(EngineError):
    slug, status, title = "limit-reached", 409, "The per-worker limit for this campaign is reached"


class NotEligible(EngineError):
    slug, status, title = "not-eligible", 403, "The worker is not eligible for this campaign"


class ClaimWindowClosed(EngineError):
    slug, status, title = "claim-window-closed", 403, "The campaign is not open for claims"


class RegistrationRequired(EngineError):
    slug, status, title = (
        "registration-required",
        403,
        "This campaign is a lottery: register, and winners receive vouchers at the draw",
    )


class AlreadyRedeemed(EngineError):
    slug, status, title = "already-redeemed", 409, "The voucher has already been redeemed"


class InsufficientBalance(EngineError):
    slug, status, title = "insufficient-balance", 409, "The amount exceeds what is left"


class ReversalWindowClosed(EngineError):
    slug, status, title = (
        "reversal-window-closed",
        409,
        "The time to reverse this redemption is over",
    )


class TooManyAttempts(EngineError):
    slug, status, title = "too-many-attempts", 429, "Too many failed attempts; wait and retry"


class RateLimited(EngineError):
    slug, status, title = "rate-limited", 429, "Too many requests; wait and retry"


class Revoked(EngineError):
    slug, status, title = "revoked", 410, "The voucher was revoked by the union"


class InvalidCode(EngineError):
    slug, status, title = "invalid-code", 422, "The code is not a valid voucher code"


class Expired(EngineError):
    slug, status, title = "expired", 410, "The voucher has expired"


class Unauthorized(EngineError):
    slug, status, title = "unauthorized", 401, "Missing or invalid credentials"


class Forbidden(EngineError):
    slug, status, title = "forbidden", 403, "The caller may not do this"


class NotFound(EngineError):
    slug, status, title = "not-found", 404, "No such resource"


class Conflict(EngineError):
    slug, status, title = "conflict", 409, "The resource already exists"


class ValidationFailed(EngineError):
    slug, status, title = "validation-error", 422, "The request is not valid"


class RequestInProgress(EngineError):
    slug, status, title = (
        "request-in-progress",
        409,
        "A request with this Idempotency-Key is still being processed; retry shortly",
    )


class Unavailable(EngineError):
    slug, status, title = "unavailable", 503, "A backing service is unavailable; retry later"


class NotYetIssued(Unavailable):
    """A genuine code whose voucher state is not in Redis yet (issuance lag)."""

    title = "The voucher is still being issued; retry shortly"
