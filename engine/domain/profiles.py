"""Worker profiles: the typed fields eligibility rules can name, and row validation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any


class WorkerCategory(StrEnum):
    DELIVERY_RIDER = "delivery_rider"
    COURIER = "courier"
    TRUCK_DRIVER = "truck_driver"
    RIDE_HAILING_DRIVER = "ride_hailing_driver"
    OTHER_NEW_EMPLOYMENT = "other_new_employment"


# Field name -> type. These are the facts of record the union holds about a worker.
PROFILE_FIELDS: dict[str, type] = {
    "category": str,
    "hukou_city": str,  # household registration city
    "origin_city": str,  # home city for return-to-work programmes
    "first_job_in_city": bool,
    "contract_months": int,  # length of the current labour contract
    "social_insurance_months": int,
    "hardship": bool,
    "registered_on": date,  # registration with the union
    "staying_for_festival": bool,  # staying in the city over the Spring Festival
    "bank_account": str,  # where a cash subsidy is paid (a payout campaign's payment file)
}
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}


class ProfileError(ValueError):
    """A profile value that cannot be read; the message names the field."""


@dataclass(frozen=True)
class WorkerProfile:
    worker_id: str
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def category(self) -> str:
        return str(self.facts["category"])


def parse_value(name: str, raw: object) -> object:
    """Read one field from text or JSON into its declared type (None when empty)."""
    kind = PROFILE_FIELDS.get(name)
    if kind is None:
        raise ProfileError(f"unknown profile field {name!r}")
    if raw is None or (isinstance(raw, str) and raw.strip() == "" and kind is not bool):
        return None
    try:
        if kind is bool:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False if text else None
            raise ValueError(raw)
        if kind is int:
            if isinstance(raw, bool):
                raise ValueError(raw)
            value = int(str(raw).strip())
            if not 0 <= value <= 1200:
                raise ValueError(raw)
            return value
        if kind is date:
            return raw if isinstance(raw, date) else date.fromisoformat(str(raw).strip())
        text = str(raw).strip()
        if len(text) > 64:
            raise ValueError(raw)
        if name == "category":
            return WorkerCategory(text).value
        return text
    except ValueError:
        raise ProfileError(f"{name}: {str(raw)[:40]!r} is not a valid {kind.__name__}") from None


def parse_profile(worker_id: str, values: dict[str, object]) -> WorkerProfile:
    facts = {}
    for name, raw in values.items():
        value = parse_value(name, raw)
        if value is not None:
            facts[name] = value
    if "category" not in facts:
        raise ProfileError("category is required")
    return WorkerProfile(worker_id, facts)


def to_record(profile: WorkerProfile) -> dict[str, str]:
    """Flat strings for storage (Redis hash, JSON); dates as ISO, booleans as 0/1."""
    out = {}
    for name, value in profile.facts.items():
        if isinstance(value, bool):
            out[name] = "1" if value else "0"
        else:
            out[name] = value.isoformat() if isinstance(value, date) else str(value)
    return out


def from_record(worker_id: str, record: dict[str, str]) -> WorkerProfile:
    return parse_profile(worker_id, {k: v for k, v in record.items() if k in PROFILE_FIELDS})


@dataclass(frozen=True, slots=True)
class WorkerRecord:
    """A worker as the union's register holds them."""

    id: str
    category: str
    profile: dict[str, Any]


def register_entry(profile: WorkerProfile) -> WorkerRecord:
    """The register's entry for a profile: the category apart, the rest as stored text."""
    stored = to_record(profile)
    category = stored.pop("category")
    return WorkerRecord(profile.worker_id, category, dict(stored))
