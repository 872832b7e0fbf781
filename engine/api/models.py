"""Request and response bodies. Field limits here are the API's input contract."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import Header, Path
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from engine.domain.admission import IDEMPOTENCY_KEY
from engine.domain.campaigns import Campaign, Status, with_options
from engine.domain.ids import CAMPAIGN_ID_PATTERN, PARTY_ID_PATTERN
from engine.domain.periods import Period
from engine.domain.profiles import WorkerCategory

CampaignId = Annotated[str, Field(pattern=CAMPAIGN_ID_PATTERN)]
PartyId = Annotated[str, Field(pattern=PARTY_ID_PATTERN)]
# Ids in a path, one name per kind of thing they name; workers, merchants and their keys
# share the shape of a party id.
WorkerIdPath = Annotated[str, Path(pattern=PARTY_ID_PATTERN, description="the worker's id")]
MerchantIdPath = Annotated[str, Path(pattern=PARTY_ID_PATTERN, description="the merchant's id")]
CampaignIdPath = Annotated[str, Path(pattern=CAMPAIGN_ID_PATTERN, description="the campaign's id")]
KeyIdPath = Annotated[str, Path(pattern=PARTY_ID_PATTERN, description="the key's id")]
MAX_COUNT = 100_000_000
Count = Annotated[int, Field(ge=1, le=MAX_COUNT)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=128,
        description="chosen once per intent; a retry sends the same one",
    ),
]


def _storable(value: Any) -> Any:
    """Refuse the NUL character, which JSON can spell and PostgreSQL's text cannot hold
    (half a surrogate pair is refused by the string fields themselves)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text must not contain the NUL character")
    elif isinstance(value, dict):
        for key, item in value.items():
            _storable(key)
            _storable(item)
    elif isinstance(value, list):
        for item in value:
            _storable(item)
    return value


class StorableBody(BaseModel):
    """Every request body: its text is text PostgreSQL can store, checked before the
    fields' own rules, so such input is a 422 and never reaches a query."""

    @model_validator(mode="before")
    @classmethod
    def _only_storable_text(cls, data: Any) -> Any:
        return _storable(data)


class ClosedBody(StorableBody):
    """A request body that refuses fields it does not name (JSON's own coercions apply)."""

    model_config = ConfigDict(extra="forbid")


class PeriodLimitIn(ClosedBody):
    period: Period
    limit: Annotated[int, Field(ge=1, le=1000)]


class RuleIn(ClosedBody):
    field: Annotated[str, Field(max_length=64)]
    op: Annotated[str, Field(max_length=16)]
    value: str | int | bool | list[str] | list[int]


class WaveIn(ClosedBody):
    at: AwareDatetime
    quantity: Count


class LotteryIn(ClosedBody):
    draw_at: AwareDatetime


class CampaignIn(ClosedBody):
    id: CampaignId
    name: Annotated[str, Field(min_length=1, max_length=200)]
    name_en: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    quota: Count
    face_value_fen: Count
    per_worker_limit: Annotated[int, Field(ge=1, le=1000)]
    claim_opens_at: AwareDatetime
    claim_closes_at: AwareDatetime
    valid_until: AwareDatetime
    eligible_categories: Annotated[list[WorkerCategory], Field(min_length=1, max_length=10)]
    merchants: Annotated[list[PartyId], Field(max_length=1000)] = []
    status: Literal["draft", "scheduled", "open"] = "open"
    budget_fen: Annotated[int, Field(ge=1, le=10**12)] | None = None
    face_value_min_fen: Count | None = None
    face_value_max_fen: Count | None = None
    period_limit: PeriodLimitIn | None = None
    cap_group: CampaignId | None = None
    rules: Annotated[list[RuleIn], Field(max_length=20)] = []
    waves: Annotated[list[WaveIn], Field(max_length=100)] = []
    rollover: bool = False
    lottery: LotteryIn | None = None
    partner_pool: bool = False
    stored_value: bool = False
    reversal_window_s: Annotated[int, Field(ge=0, le=90 * 86_400)] = 86_400

    def to_domain(self) -> Campaign:
        base = Campaign(
            id=self.id,
            name=self.name,
            quota=self.quota,
            face_value_fen=self.face_value_fen,
            per_worker_limit=self.per_worker_limit,
            claim_opens_at=self.claim_opens_at,
            claim_closes_at=self.claim_closes_at,
            valid_until=self.valid_until,
            eligible_categories=tuple(dict.fromkeys(self.eligible_categories)),
            merchants=tuple(self.merchants),
            status=Status(self.status),
        )
        opts = self.model_dump(
            mode="json",
            include={
                "budget_fen",
                "face_value_min_fen",
                "face_value_max_fen",
                "period_limit",
                "cap_group",
                "rules",
                "waves",
                "rollover",
                "lottery",
                "partner_pool",
                "stored_value",
                "reversal_window_s",
                "name_en",
            },
        )
        return with_options(base, opts)


class CampaignPatch(StorableBody):
    """Fields to change, and the version they were read at (optimistic concurrency)."""

    model_config = ConfigDict(extra="allow")
    version: Annotated[int, Field(ge=1)]


class StatusIn(ClosedBody):
    status: Status


class CapGroupIn(ClosedBody):
    id: CampaignId
    period: Period
    max_fen: Count


class PoolIn(ClosedBody):
    codes: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=128)]],
        Field(min_length=1, max_length=20_000),
    ]


class ClaimIn(ClosedBody):
    face_value_fen: Count | None = None


class CampaignOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    status: str
    version: int
    number: int
    name: str
    name_en: str | None = None
    quota: int
    face_value_fen: int
    max_spend_fen: int
    per_worker_limit: int
    claim_opens_at: str
    claim_closes_at: str
    valid_until: str
    eligible_categories: list[str]
    merchants: list[str]
    remaining: int
    admitted: int
    issued: int
    redeemed: int


class WorkerIn(ClosedBody):
    """A worker and the profile facts eligibility rules read (see engine/domain/profiles.py)."""

    id: PartyId
    category: WorkerCategory
    hukou_city: Annotated[str, Field(max_length=64)] | None = None
    origin_city: Annotated[str, Field(max_length=64)] | None = None
    first_job_in_city: bool | None = None
    contract_months: Annotated[int, Field(ge=0, le=1200)] | None = None
    social_insurance_months: Annotated[int, Field(ge=0, le=1200)] | None = None
    hardship: bool | None = None
    registered_on: date | None = None
    staying_for_festival: bool | None = None

    def profile(self) -> dict[str, Any]:
        return self.model_dump(exclude={"id"}, exclude_none=True, mode="json")


class WorkerOut(BaseModel):
    id: str
    category: str
    created: bool


class WorkersBulkIn(ClosedBody):
    workers: Annotated[list[WorkerIn], Field(min_length=1, max_length=10_000)]

    @field_validator("workers")
    @classmethod
    def _ids_once(cls, workers: list[WorkerIn]) -> list[WorkerIn]:
        # One upsert cannot write the same row twice; say which id repeats instead.
        seen: set[str] = set()
        for w in workers:
            if w.id in seen:
                raise ValueError(f"worker id {w.id} appears more than once")
            seen.add(w.id)
        return workers


class WorkersBulkOut(BaseModel):
    upserted: int


class TokenOut(BaseModel):
    token: str
    expires_at: int


class MerchantIn(ClosedBody):
    id: PartyId
    name: Annotated[str, Field(min_length=1, max_length=200)]


class MerchantOut(BaseModel):
    id: str
    key_id: str
    api_key: str


class ClaimOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"claim_id": "metro-2027.4f1c9e0a", "status": "admitted"}]}
    )
    claim_id: str
    status: Literal["admitted"]


class VoucherOut(BaseModel):
    claim_id: str
    campaign_id: str
    serial: int
    code: str
    partner_code: str | None = None
    face_value_fen: int
    balance_fen: int
    valid_until: str
    issued_at: str
    status: Literal["issued", "redeemed", "expired", "revoked"]


class ClaimStatusOut(BaseModel):
    claim_id: str
    status: Literal["admitted", "issued"]
    voucher: VoucherOut | None


Code = Annotated[str, Field(min_length=1, max_length=256)]
TerminalId = Annotated[
    str | None,
    Header(
        alias="X-Terminal-Id",
        max_length=64,
        description="the till, gate or pump; failed codes are throttled per terminal",
    ),
]


class RedemptionIn(ClosedBody):
    code: Code
    amount_fen: Count | None = None  # stored-value vouchers only; default: all that is left


class OfflineItemIn(ClosedBody):
    code: Code
    idempotency_key: Annotated[str, Field(pattern=IDEMPOTENCY_KEY.pattern)]
    redeemed_at: AwareDatetime
    amount_fen: Count | None = None
    terminal_id: Annotated[str, Field(max_length=64)] | None = None


class OfflineBatchIn(ClosedBody):
    items: Annotated[list[OfflineItemIn], Field(min_length=1, max_length=500)]


class ReversalIn(ClosedBody):
    redemption_id: Annotated[str, Field(max_length=128)]
    amount_fen: Count | None = None  # default: everything not yet given back


class VerifyIn(ClosedBody):
    code: Code


class StoreIn(ClosedBody):
    id: PartyId
    name: Annotated[str, Field(min_length=1, max_length=200)]


class KeyIn(ClosedBody):
    store_id: PartyId | None = None


class WebhookIn(ClosedBody):
    url: Annotated[str, Field(min_length=8, max_length=2000)]


class RevokeIn(ClosedBody):
    code: Code
    reason: Annotated[str, Field(min_length=3, max_length=500)]


class CodeLookupIn(ClosedBody):
    code: Code


class EnrolIn(ClosedBody):
    merchant_id: PartyId


class OpsCredentialIn(ClosedBody):
    """The person the token belongs to, as the audit log will name them."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")]
