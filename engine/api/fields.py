"""The API's input types: ids, money and counts, moments and days, and the bodies' common
rules. Every request model is built from these, on the fast path and the framework's
routes alike, so both read a request the same way."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import Header, Path
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    model_validator,
)

from engine.domain.ids import CAMPAIGN_ID_PATTERN, PARTY_ID_PATTERN
from engine.domain.text import storable_text

CampaignId = Annotated[str, Field(pattern=CAMPAIGN_ID_PATTERN)]
PartyId = Annotated[str, Field(pattern=PARTY_ID_PATTERN)]
# Ids in a path, one name per kind of thing they name; workers, merchants and their keys
# share the shape of a party id.
WorkerIdPath = Annotated[str, Path(pattern=PARTY_ID_PATTERN, description="the worker's id")]
MerchantIdPath = Annotated[str, Path(pattern=PARTY_ID_PATTERN, description="the merchant's id")]
CampaignIdPath = Annotated[str, Path(pattern=CAMPAIGN_ID_PATTERN, description="the campaign's id")]
KeyIdPath = Annotated[str, Path(pattern=PARTY_ID_PATTERN, description="the key's id")]
MAX_COUNT = 100_000_000
# PostgreSQL's integer: versions and other counters the records keep.
MAX_INT4 = 2**31 - 1
# Money and counts are JSON integers and nothing else: no "100", no true, no 100.0. Strict
# here means the same on the fast path (hot_routes.py validates with these models) and the
# framework's routes.
Count = Annotated[int, Strict(), Field(ge=1, le=MAX_COUNT)]
Fen = Annotated[int, Strict(), Field(ge=1, le=MAX_COUNT)]
SmallCount = Annotated[int, Strict(), Field(ge=1, le=1000)]
# The years the engine's records, clocks and Redis scores are built for.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def _within_years(value: date) -> date:
    day = value.astimezone(UTC).date() if isinstance(value, datetime) else value
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"must be between {FIRST_DAY} and {LAST_DAY}")
    return value


def _written(value: Any) -> Any:
    """A moment or a day comes as an RFC 3339 string: the framework's lax reading would
    take a JSON number as Unix seconds (946684800 as 2000-01-01), which no client means."""
    if not isinstance(value, str | date):
        raise ValueError("must be an RFC 3339 string")  # noqa: TRY004 - pydantic reports only ValueError
    return value


Moment = Annotated[AwareDatetime, BeforeValidator(_written), AfterValidator(_within_years)]
Day = Annotated[date, BeforeValidator(_written), AfterValidator(_within_years)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=128,
        description="chosen once per intent; a retry sends the same one",
    ),
]


def _storable(value: Any) -> Any:
    """Refuse control characters (NUL among them, which JSON can spell and PostgreSQL's text
    cannot hold); half a surrogate pair is refused by the string fields themselves. A loop,
    not a recursion: however deep a body nests, this is a 422, never a RecursionError."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if not storable_text(item):
                raise ValueError("text must not contain control characters such as NUL")
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return value


class StorableBody(BaseModel):
    """Every request body: its text is text PostgreSQL can store, checked before the
    fields' own rules, so such input is a 422 and never reaches a query."""

    @model_validator(mode="before")
    @classmethod
    def _only_storable_text(cls, data: Any) -> Any:
        return _storable(data)


class ClosedBody(StorableBody):
    """A request body that refuses fields it does not name."""

    model_config = ConfigDict(extra="forbid")
