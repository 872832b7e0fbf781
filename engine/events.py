"""Events on the log, declared once; mirrored by the JSON Schemas in schemas/events/.

The API produces them with aiokafka and the stream workers consume them with
faust, so both sides share these records.
"""

from __future__ import annotations

import faust

from engine.domain.event_auth import EventKeys

CLAIM_ADMITTED = "claim.admitted"
VOUCHER_ISSUED = "voucher.issued"
VOUCHER_REDEEMED = "voucher.redeemed"
VOUCHER_REVERSED = "voucher.reversed"
# Events a stream worker could not apply for good, with the reason (JSON, not a record).
DEAD_LETTER = "dead-letter"


class Event(faust.Record, abstract=True, serializer="json", include_metadata=False):
    # "<key id>:<hex>": who wrote it (engine.domain.event_auth); set when it is published.
    mac: str = ""

    def fields(self) -> dict:
        return {name: getattr(self, name) for name in self._options.fields}

    def signed(self, keys: EventKeys) -> Event:
        self.mac = keys.sign(EVENT_NAMES[type(self)], self.fields())
        return self

    def authentic(self, keys: EventKeys) -> bool:
        return keys.authentic(EVENT_NAMES[type(self)], self.fields())


class ClaimAdmitted(Event):
    """A claim admitted in Redis; the API produced it and the broker acknowledged it."""

    claim_id: str
    campaign_id: str
    campaign_number: int
    serial: int
    worker_id: str
    face_value_fen: int
    valid_until: int  # unix seconds
    admitted_at_ms: int
    request_id: str = ""
    campaign_version: int = 1
    partner_code: str = ""
    stored_value: bool = False


class VoucherIssued(Event):
    """A signed voucher written to PostgreSQL and made redeemable in Redis."""

    claim_id: str
    campaign_id: str
    serial: int
    worker_id: str
    key_id: int
    face_value_fen: int
    valid_until: int
    issued_at_ms: int


class VoucherRedeemed(Event):
    """A voucher (or part of a stored-value one) redeemed by an enrolled merchant."""

    redemption_id: str
    campaign_id: str
    serial: int
    merchant_id: str
    face_value_fen: int
    redeemed_at_ms: int
    request_id: str = ""
    amount_fen: int = 0
    balance_fen: int = 0
    store_id: str = ""
    terminal_id: str = ""


class VoucherReversed(Event):
    """A merchant gave back (part of) one of its redemptions; the amount is usable again."""

    reversal_id: str
    redemption_id: str
    campaign_id: str
    serial: int
    merchant_id: str
    amount_fen: int
    face_value_fen: int
    reversed_at_ms: int
    request_id: str = ""
    store_id: str = ""
    terminal_id: str = ""


EVENT_TYPES: dict[str, type[Event]] = {
    CLAIM_ADMITTED: ClaimAdmitted,
    VOUCHER_ISSUED: VoucherIssued,
    VOUCHER_REDEEMED: VoucherRedeemed,
    VOUCHER_REVERSED: VoucherReversed,
}


EVENT_NAMES: dict[type[Event], str] = {record: name for name, record in EVENT_TYPES.items()}

_JSON_TYPES = {str: "string", int: "integer", bool: "boolean"}


def json_schema(name: str) -> dict:
    """The JSON Schema of one event, derived from its record so the two cannot drift."""
    record = EVENT_TYPES[name]
    fields = record._options.fields
    defaults = record._options.defaults
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://nuanxin.example/schemas/events/{name}.json",
        "title": name,
        "description": (record.__doc__ or "").strip(),
        "type": "object",
        "properties": {f: {"type": _JSON_TYPES[t]} for f, t in fields.items()},
        "required": [f for f in fields if f not in defaults],
        "additionalProperties": True,
    }
