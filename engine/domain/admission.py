"""Claim admission: identifiers, what is asked of the admission store and what it answers."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from engine.domain.campaigns import Campaign
from engine.domain.clock import to_ms
from engine.domain.ids import CAMPAIGN_ID
from engine.domain.periods import period_id, period_ttl_s
from engine.errors import NotFound, ValidationFailed

_NAMESPACE = uuid.UUID("6f0d5c1e-3f57-4b55-9a55-6e75616e7869")
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,128}$")

ADMITTED, REPEAT = 1, 2


@dataclass(frozen=True, slots=True)
class AdmitRequest:
    campaign_id: str
    claim_id: str
    worker_id: str
    category: str
    now_ms: int
    face_value_fen: int
    period: str = "none"
    period_ttl_s: int = 0
    via_draw: bool = False
    rate_per_min: int = 0  # claim requests one worker may make to the campaign; 0: no limit
    station_id: str = ""  # where a pack is picked up: its stock is taken with the claim


@dataclass(frozen=True, slots=True)
class CapReservation:
    group: str
    period: str
    claim_id: str
    worker_id: str
    campaign_id: str
    amount: int


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


def admit_request(
    campaign: Campaign,
    claim_id: str,
    worker_id: str,
    category: str,
    now: datetime,
    face: int,
    via_draw: bool = False,
    rate_per_min: int = 0,
    station_id: str = "",
) -> AdmitRequest:
    """What a claim asks of the admission script, its period counted where it has one."""
    request = AdmitRequest(
        campaign.id,
        claim_id,
        worker_id,
        category,
        to_ms(now),
        face,
        via_draw=via_draw,
        rate_per_min=rate_per_min,
        station_id=station_id,
    )
    if campaign.period_limit:
        period = campaign.period_limit.period
        request = replace(request, period=period_id(period, now), period_ttl_s=period_ttl_s(period))
    return request


@dataclass(frozen=True, slots=True)
class ClaimCancel:
    """An issued claim withdrawn (a booking its worker cancelled, a payout operations
    cancelled): its claim and voucher, and the period it was admitted in (whose
    per-period count it gives back)."""

    campaign_id: str
    claim_id: str
    serial: int
    worker_id: str
    period: str
    reason: str  # why its voucher is revoked
