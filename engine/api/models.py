"""Request and response bodies. Field limits here are the API's input contract."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Header
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StrictBool,
    StrictInt,
    StrictStr,
    field_validator,
)

from engine.api.fields import (
    MAX_INT4,
    CampaignId,
    ClosedBody,
    Count,
    Day,
    Fen,
    Moment,
    PartyId,
    SmallCount,
    StorableBody,
)
from engine.api.payer_models import PayerIn
from engine.domain.admission import IDEMPOTENCY_KEY
from engine.domain.campaigns import Campaign, Status, with_options
from engine.domain.periods import Period
from engine.domain.profiles import WorkerCategory


class PeriodLimitIn(ClosedBody):
    period: Period
    limit: SmallCount


class RuleIn(ClosedBody):
    field: Annotated[str, Field(max_length=64)]
    op: Annotated[str, Field(max_length=16)]
    # JSON's own types only: 12.0 is not a count of months, "12" stays text.
    value: StrictStr | StrictInt | StrictBool | list[StrictStr] | list[StrictInt]


class WaveIn(ClosedBody):
    at: Moment
    quantity: Count


class LotteryIn(ClosedBody):
    draw_at: Moment


class PercentOffTerms(ClosedBody):
    """A share of the order off (the metro's 5折 is 50), at most cap_fen."""

    kind: Literal["percent_off"]
    percent: Annotated[int, Strict(), Field(ge=1, le=99)]
    cap_fen: Fen


class TierTerms(ClosedBody):
    min_order_fen: Fen
    off_fen: Fen


class ThresholdTerms(ClosedBody):
    """满X减Y: the highest tier the order reaches applies."""

    kind: Literal["threshold"]
    tiers: Annotated[list[TierTerms], Field(min_length=1, max_length=10)]


class FreeTerms(ClosedBody):
    """One item free, at most cap_fen."""

    kind: Literal["free"]
    cap_fen: Fen


# A discount's terms, as a campaign states them and the API shows them.
DiscountTerms = Annotated[PercentOffTerms | ThresholdTerms | FreeTerms, Field(discriminator="kind")]


class CampaignIn(ClosedBody):
    id: CampaignId
    name: Annotated[str, Field(min_length=1, max_length=200)]
    name_en: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    quota: Count
    face_value_fen: Fen
    per_worker_limit: SmallCount
    claim_opens_at: Moment
    claim_closes_at: Moment
    valid_until: Moment
    eligible_categories: Annotated[list[WorkerCategory], Field(min_length=1, max_length=10)]
    merchants: Annotated[list[PartyId], Field(max_length=1000, default=[])]
    status: Literal["draft", "scheduled", "open"] = "open"
    budget_fen: Annotated[int, Strict(), Field(ge=1, le=10**12)] | None = None
    face_value_min_fen: Fen | None = None
    face_value_max_fen: Fen | None = None
    period_limit: PeriodLimitIn | None = None
    cap_group: CampaignId | None = None
    rules: Annotated[list[RuleIn], Field(max_length=20, default=[])]
    waves: Annotated[list[WaveIn], Field(max_length=100, default=[])]
    rollover: bool = False
    lottery: LotteryIn | None = None
    partner_pool: bool = False
    stored_value: bool = False
    reversal_window_s: Annotated[int, Strict(), Field(ge=0, le=90 * 86_400)] = 86_400
    # A voucher worth a share of the order; face_value_fen is then its cap or top tier.
    discount: DiscountTerms | None = None
    stations: bool = False  # picked up at a station (PUT /v1/campaigns/{id}/stations)
    slots: bool = False  # booked by the slot (PUT /v1/campaigns/{id}/slots)
    payout: bool = False  # paid in batches; its one merchant (payroll) records each paid
    payers: Annotated[list[PayerIn], Field(max_length=10, default=[])]  # who pays what

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
                "discount",
                "stations",
                "slots",
                "payout",
                "payers",
            },
        )
        return with_options(base, opts)


class CampaignPatch(StorableBody):
    """Fields to change, and the version they were read at (optimistic concurrency)."""

    model_config = ConfigDict(extra="allow")
    version: Annotated[int, Strict(), Field(ge=1, le=MAX_INT4)]


class StatusIn(ClosedBody):
    status: Status


class CapGroupIn(ClosedBody):
    id: CampaignId
    period: Period
    max_fen: Fen


class PoolIn(ClosedBody):
    codes: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=128)]],
        Field(min_length=1, max_length=20_000),
    ]


class ClaimIn(ClosedBody):
    face_value_fen: Fen | None = None
    # A pick-up programme's station (GET /v1/campaigns/{campaign_id}/stations lists them).
    station_id: PartyId | None = None
    # A booking programme's slot (GET /v1/campaigns/{campaign_id}/slots lists the free ones).
    slot_id: PartyId | None = None


NO_CHOICE = ClaimIn()  # a claim without a body: the campaign's one face value, no place


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
    discount: DiscountTerms | None = None
    stations: bool = False
    slots: bool = False
    payout: bool = False
    payers: list[PayerIn] = []


class WorkerIn(ClosedBody):
    """A worker and the profile facts eligibility rules read (see engine/domain/profiles.py)."""

    id: PartyId
    category: WorkerCategory
    hukou_city: Annotated[str, Field(max_length=64)] | None = None
    origin_city: Annotated[str, Field(max_length=64)] | None = None
    first_job_in_city: bool | None = None
    contract_months: Annotated[int, Strict(), Field(ge=0, le=1200)] | None = None
    social_insurance_months: Annotated[int, Strict(), Field(ge=0, le=1200)] | None = None
    hardship: bool | None = None
    registered_on: Day | None = None
    staying_for_festival: bool | None = None
    bank_account: Annotated[str, Field(pattern=r"^[0-9]{8,32}$")] | None = None

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
    short_code: str = Field(
        description="what a cashier types when the camera fails (redeemed online only)"
    )
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
MAX_TERMINAL_CHARS = 64
TerminalId = Annotated[
    str | None,
    Header(
        alias="X-Terminal-Id",
        max_length=MAX_TERMINAL_CHARS,
        description="the till, gate or pump; failed codes are throttled per terminal",
    ),
]


class RedemptionIn(ClosedBody):
    code: Code
    amount_fen: Fen | None = None  # stored-value vouchers only; default: all that is left
    order_fen: Fen | None = None  # discount vouchers only: the order the discount is taken off


class OfflineItemIn(ClosedBody):
    code: Code
    idempotency_key: Annotated[str, Field(pattern=IDEMPOTENCY_KEY.pattern)]
    redeemed_at: Moment
    amount_fen: Fen | None = None
    order_fen: Fen | None = None
    terminal_id: Annotated[str, Field(max_length=64)] | None = None


class OfflineBatchIn(ClosedBody):
    items: Annotated[list[OfflineItemIn], Field(min_length=1, max_length=500)]


class ReversalIn(ClosedBody):
    redemption_id: Annotated[str, Field(max_length=128)]
    amount_fen: Fen | None = None  # default: everything not yet given back


class VerifyIn(ClosedBody):
    code: Code
    order_fen: Fen | None = None  # a discount voucher's answer says what it grants this order


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
