"""What the system of record lists for people to read: a merchant's statements, keys and
webhook deliveries, a till's day, a voucher's ledger entries, the ops credentials and the
audit log. The PostgreSQL records classes decode their rows into these; the use cases
turn them into the API's documents with `document`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class SettlementDay:
    merchant_id: str
    day: date
    redemptions: int
    redeemed_fen: int
    reversals: int
    reversed_fen: int
    net_fen: int


@dataclass(frozen=True, slots=True)
class TillRedemption:
    """One redemption as a till lists it, with what was reversed of it so far."""

    redemption_id: str
    campaign_id: str
    serial: int
    amount_fen: int
    face_value_fen: int
    store_id: str | None
    terminal_id: str | None
    occurred_at: datetime
    reversed_fen: int


@dataclass(frozen=True, slots=True)
class VoucherLedgerEntry:
    """One ledger entry of a voucher, as an investigator reads it."""

    entry_id: str
    kind: str
    merchant_id: str
    amount_fen: int
    store_id: str | None
    terminal_id: str | None
    occurred_at: datetime
    request_id: str | None


@dataclass(frozen=True, slots=True)
class MerchantKey:
    key_id: str
    store_id: str | None
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class OpsCredential:
    credential_id: str
    name: str
    created_by: str
    created_at: datetime
    revoked_at: datetime | None
    role: str = "ops"  # engine/domain/roles.py
    payer_id: str | None = None


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """An audit entry as stored: when, and its number in the log."""

    id: int
    at: datetime
    actor: str
    action: str
    target: str
    before: dict[str, object] | None
    after: dict[str, object] | None
    request_id: str | None


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    event_id: str
    event_type: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    next_attempt_at: datetime | None


@dataclass(frozen=True, slots=True)
class DueWebhook:
    """A delivery leased for sending now, with where and how to sign it."""

    merchant_id: str
    event_id: str
    event_type: str
    body: str
    attempts: int
    url: str
    secret: str = field(repr=False)


def document(record: Any) -> dict[str, Any]:
    """A listing record as the API's document: times and days as ISO 8601 text."""
    return {f.name: _plain(getattr(record, f.name)) for f in fields(record)}


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, (date, datetime)) else value
