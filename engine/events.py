"""Events on the log, declared once; mirrored by the JSON Schemas in schemas/events/.

Plain records: the API produces them, the stream workers decode the raw bytes of the
log into the same classes, and nothing but `engine/stream` knows faust.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import orjson

from engine.domain.event_auth import EventKeys

CLAIM_ADMITTED = "claim.admitted"
VOUCHER_ISSUED = "voucher.issued"
VOUCHER_REDEEMED = "voucher.redeemed"
VOUCHER_REVERSED = "voucher.reversed"
# Events a stream worker could not apply for good, with the reason (JSON, not a record).
DEAD_LETTER = "dead-letter"
# Not a topic: a marker placed on every partition of the decision topics (LogFence).
LOG_FENCE = "log.fence"

_JSON_TYPES = {"str": "string", "int": "integer", "bool": "boolean"}
_PY_TYPES: dict[str, tuple[type, ...]] = {"str": (str,), "int": (int,), "bool": (bool,)}


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
# Per record class: (name, accepted types, JSON type's name, required) of each field.
_FIELD_TYPES: dict[type, tuple[tuple[str, tuple[type, ...], str, bool], ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    # dataclasses.fields() reflects on every call: a twentieth of the issuer's CPU.
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


def _field_types(cls: type) -> tuple[tuple[str, tuple[type, ...], str, bool], ...]:
    types = _FIELD_TYPES.get(cls)
    if types is None:
        types = _FIELD_TYPES[cls] = tuple(
            (
                f.name,
                _PY_TYPES[str(f.type)],
                _JSON_TYPES[str(f.type)],
                f.default is dataclasses.MISSING,
            )
            for f in dataclasses.fields(cls)
        )
    return types


@dataclass(frozen=True, slots=True)
class LogPosition:
    """Where the log put an event it acknowledged."""

    topic: str  # the event's name
    partition: int
    offset: int


class MalformedEvent(ValueError):
    """Bytes on a topic that are not an event of that topic (parked, never applied)."""


@dataclass(slots=True, kw_only=True)
class Event:
    name: ClassVar[str]
    # "<key id>:<hex>": who wrote it (engine.domain.event_auth); set when it is published.
    mac: str = ""

    def fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _field_names(type(self))}

    def signed(self, event_keys: EventKeys) -> Self:
        self.mac = event_keys.sign(self.name, self.fields())
        return self

    def authentic(self, event_keys: EventKeys) -> bool:
        return event_keys.authentic(self.name, self.fields())

    def dumps(self) -> bytes:
        return orjson.dumps(self.fields())

    @classmethod
    def loads(cls, raw: bytes) -> Self:
        """Decode one event, refusing missing fields and wrongly typed values; fields
        this version does not know are ignored (the schemas allow additions)."""
        try:
            data = orjson.loads(raw)
        except (ValueError, TypeError) as exc:
            raise MalformedEvent(f"{cls.name}: not JSON") from exc
        if not isinstance(data, dict):
            raise MalformedEvent(f"{cls.name}: not an object")
        values: dict[str, Any] = {}
        for name, accepted, json_type, required in _field_types(cls):
            if name not in data:
                if required:
                    raise MalformedEvent(f"{cls.name}: {name} is missing")
                continue
            value = data[name]
            if not isinstance(value, accepted) or (
                json_type == "integer" and isinstance(value, bool)
            ):
                raise MalformedEvent(f"{cls.name}: {name} must be {json_type}")
            values[name] = value
        return cls(**values)


@dataclass(slots=True, kw_only=True)
class ClaimAdmitted(Event):
    """A claim admitted in Redis; the API produced it and the broker acknowledged it."""

    name: ClassVar[str] = CLAIM_ADMITTED
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
    station_id: str = ""  # a pick-up campaign's station, chosen at the claim


@dataclass(slots=True, kw_only=True)
class VoucherIssued(Event):
    """A signed voucher written to PostgreSQL and made redeemable in Redis."""

    name: ClassVar[str] = VOUCHER_ISSUED
    claim_id: str
    campaign_id: str
    serial: int
    worker_id: str
    key_id: int
    face_value_fen: int
    valid_until: int
    issued_at_ms: int


@dataclass(slots=True, kw_only=True)
class VoucherRedeemed(Event):
    """A voucher (or part of a stored-value one) redeemed by an enrolled merchant."""

    name: ClassVar[str] = VOUCHER_REDEEMED
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
    order_fen: int = 0  # a discount voucher's order; amount_fen is the discount granted


@dataclass(slots=True, kw_only=True)
class VoucherReversed(Event):
    """A merchant gave back (part of) one of its redemptions; the amount is usable again."""

    name: ClassVar[str] = VOUCHER_REVERSED
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
    order_fen: int = 0  # the reversed discount's order: the whole voucher is usable again


@dataclass(slots=True, kw_only=True)
class LogFence(Event):
    """A marker a stream worker places on one partition of a decision topic. The consumer
    of that topic records the marker once everything before it is applied, so a decision
    whose event is not before a marker placed after it could no longer be appended was
    never appended (engine/usecases/log_watch.py)."""

    name: ClassVar[str] = LOG_FENCE
    fence_id: str
    topic: str  # the event name of the topic it was placed on
    partition: int
    at_ms: int  # the placer's clock when it placed the marker

    @classmethod
    def recognise(cls, raw: bytes) -> LogFence | None:
        """The marker these bytes are, or None: an event of the topic itself (or bytes
        that are neither, which the topic's consumer parks)."""
        if b'"fence_id"' not in raw:
            return None
        try:
            return cls.loads(raw)
        except MalformedEvent:
            return None


EVENT_TYPES: dict[str, type[Event]] = {
    record.name: record
    for record in (ClaimAdmitted, VoucherIssued, VoucherRedeemed, VoucherReversed)
}


# Every record written to the log, with a schema each: the topics' events and the marker.
SCHEMA_TYPES: dict[str, type[Event]] = {**EVENT_TYPES, LOG_FENCE: LogFence}


def json_schema(name: str) -> dict[str, Any]:
    """The JSON Schema of one event, derived from its record so the two cannot drift."""
    record = SCHEMA_TYPES[name]
    fields = dataclasses.fields(record)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://nuanxin.example/schemas/events/{name}.json",
        "title": name,
        "description": (record.__doc__ or "").strip(),
        "type": "object",
        "properties": {f.name: {"type": _JSON_TYPES[str(f.type)]} for f in fields},
        "required": [f.name for f in fields if f.default is dataclasses.MISSING],
        "additionalProperties": True,
    }
