"""Claim admission: identifiers and the meaning of the admission script's answers."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from engine.domain.ids import CAMPAIGN_ID
from engine.errors import (
    ClaimWindowClosed,
    EngineError,
    LimitReached,
    NotEligible,
    NotFound,
    RateLimited,
    RegistrationRequired,
    SoldOut,
    Unavailable,
    ValidationFailed,
)

_NAMESPACE = uuid.UUID("6f0d5c1e-3f57-4b55-9a55-6e75616e7869")
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,128}$")

ADMITTED, REPEAT = 1, 2
_REFUSALS: dict[int, EngineError] = {
    # The campaign exists (PostgreSQL said so first) but Redis has no state for it: Redis
    # was lost and `nuanxin reconcile --repair` has not rebuilt it. Answer nothing yet.
    -1: Unavailable("The campaign's live state is being rebuilt; retry shortly"),
    -2: ClaimWindowClosed(),
    -3: NotEligible("The worker's category is not eligible", failed_rule="category"),
    -5: LimitReached(),
    -6: LimitReached("The per-worker limit for this period is reached"),
    -8: RegistrationRequired(),
}


@dataclass(frozen=True, slots=True)
class Admission:
    status: int
    state: str
    serial: int
    face_value_fen: int = 0
    valid_until: int = 0
    campaign_number: int = 0
    campaign_version: int = 1
    partner_code: str = ""

    @property
    def is_new(self) -> bool:
        return self.status == ADMITTED


def check_idempotency_key(key: str | None) -> str:
    if key is None or not IDEMPOTENCY_KEY.match(key):
        raise ValidationFailed(
            "Idempotency-Key header is required: 1 to 128 visible ASCII characters"
        )
    return key


def claim_id_for(campaign_id: str, worker_id: str, idempotency_key: str) -> str:
    """Deterministic, so a retried request names the same claim in every process."""
    digest = uuid.uuid5(_NAMESPACE, f"claim\x00{campaign_id}\x00{worker_id}\x00{idempotency_key}")
    return f"{campaign_id}.{digest.hex}"


def campaign_of(identifier: str, kind: str = "claim") -> str:
    """The campaign a claim, redemption or reversal id belongs to (NotFound if malformed)."""
    campaign_id, sep, digest = identifier.partition(".")
    if not sep or not CAMPAIGN_ID.match(campaign_id) or not re.fullmatch(r"[0-9a-f]{32}", digest):
        raise NotFound(f"No such {kind}")
    return campaign_id


def campaign_of_claim(claim_id: str) -> str:
    return campaign_of(claim_id, "claim")


def reversal_id_for(campaign_id: str, merchant_id: str, idempotency_key: str) -> str:
    digest = uuid.uuid5(
        _NAMESPACE, f"reversal\x00{campaign_id}\x00{merchant_id}\x00{idempotency_key}"
    )
    return f"{campaign_id}.{digest.hex}"


def redemption_id_for(campaign_id: str, merchant_id: str, idempotency_key: str) -> str:
    digest = uuid.uuid5(
        _NAMESPACE, f"redemption\x00{campaign_id}\x00{merchant_id}\x00{idempotency_key}"
    )
    return f"{campaign_id}.{digest.hex}"


def interpret_admission(reply: list) -> Admission:
    """Turn the admission script's reply into an Admission, or raise the refusal."""
    status = int(reply[0])
    if status == ADMITTED:
        *numbers, code = reply[2:]
        return Admission(status, _text(reply[1]), *(int(x) for x in numbers), _text(code))
    if status == REPEAT:
        face = int(reply[3]) if len(reply) > 3 else 0
        return Admission(status, _text(reply[1]), int(reply[2]), face)
    if status == -4:
        next_wave_ms = int(reply[1]) if len(reply) > 1 else 0
        if next_wave_ms:
            at = datetime.fromtimestamp(next_wave_ms / 1000, UTC).isoformat()
            raise SoldOut(f"No stock released now; the next wave opens at {at}", next_wave_at=at)
        raise SoldOut()
    if status == -10:
        wait = int(reply[1])
        raise RateLimited("Too many claim requests to this campaign", retry_after_s=wait)
    error = _REFUSALS[status]
    raise type(error)(error.detail, **error.extra)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
