"""Campaigns as operations define them, and the rules a definition must obey."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from engine.errors import ValidationFailed


class WorkerCategory(StrEnum):
    DELIVERY_RIDER = "delivery_rider"
    COURIER = "courier"
    TRUCK_DRIVER = "truck_driver"
    RIDE_HAILING_DRIVER = "ride_hailing_driver"
    OTHER_NEW_EMPLOYMENT = "other_new_employment"


@dataclass(frozen=True, slots=True)
class Campaign:
    id: str
    name: str
    quota: int
    face_value_fen: int
    per_worker_limit: int
    claim_opens_at: datetime
    claim_closes_at: datetime
    valid_until: datetime
    eligible_categories: tuple[WorkerCategory, ...]
    merchants: tuple[str, ...]
    number: int = 0

    @property
    def budget_fen(self) -> int:
        return self.quota * self.face_value_fen


def check_campaign(c: Campaign) -> None:
    """Cross-field rules that single-field validation cannot express."""
    if c.claim_closes_at <= c.claim_opens_at:
        raise ValidationFailed("claim_closes_at must be after claim_opens_at")
    if c.valid_until < c.claim_closes_at:
        raise ValidationFailed("valid_until must not be before claim_closes_at")
    if c.valid_until.timestamp() >= 2**32:
        raise ValidationFailed("valid_until is too far in the future")
    if len(set(c.merchants)) != len(c.merchants):
        raise ValidationFailed("merchants must not repeat")


def same_definition(a: Campaign, b: Campaign) -> bool:
    """True when a repeated create asks for exactly what already exists."""

    def norm(c: Campaign) -> tuple:
        return (
            c.id,
            c.name,
            c.quota,
            c.face_value_fen,
            c.per_worker_limit,
            c.claim_opens_at.timestamp(),
            c.claim_closes_at.timestamp(),
            c.valid_until.timestamp(),
            tuple(sorted(c.eligible_categories)),
            tuple(sorted(c.merchants)),
        )

    return norm(a) == norm(b)
