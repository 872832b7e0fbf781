"""Request and response bodies. Field limits here are the API's input contract."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Header
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from engine.domain.campaigns import Campaign, WorkerCategory

CampaignId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
PartyId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
Count = Annotated[int, Field(ge=1, le=100_000_000)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


class CampaignIn(Strict):
    id: CampaignId
    name: Annotated[str, Field(min_length=1, max_length=200)]
    quota: Count
    face_value_fen: Count
    per_worker_limit: Annotated[int, Field(ge=1, le=1000)]
    claim_opens_at: AwareDatetime
    claim_closes_at: AwareDatetime
    valid_until: AwareDatetime
    eligible_categories: Annotated[list[WorkerCategory], Field(min_length=1, max_length=10)]
    merchants: Annotated[list[PartyId], Field(max_length=1000)] = []

    def to_domain(self) -> Campaign:
        return Campaign(
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
        )


class CampaignOut(BaseModel):
    id: str
    number: int
    name: str
    quota: int
    face_value_fen: int
    budget_fen: int
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


ProfileValue = str | int | float | bool | None


class WorkerIn(BaseModel):
    """Profile fields beyond id and category are kept as the worker's profile."""

    model_config = ConfigDict(extra="allow")
    id: PartyId
    category: WorkerCategory

    @model_validator(mode="after")
    def _small_profile(self) -> WorkerIn:
        extra = self.model_extra or {}
        if len(extra) > 50:
            raise ValueError("at most 50 profile fields")
        for name, value in extra.items():
            if len(name) > 64 or not isinstance(value, ProfileValue):
                raise ValueError(f"profile field {name[:64]!r} must be a short scalar")
            if isinstance(value, str) and len(value) > 256:
                raise ValueError(f"profile field {name!r} is longer than 256 characters")
        return self

    def profile(self) -> dict:
        return dict(self.model_extra or {})


class WorkerOut(BaseModel):
    id: str
    category: str
    created: bool


class WorkersBulkIn(Strict):
    workers: Annotated[list[WorkerIn], Field(min_length=1, max_length=10_000)]


class WorkersBulkOut(BaseModel):
    upserted: int


class TokenOut(BaseModel):
    token: str
    expires_at: int


class MerchantIn(Strict):
    id: PartyId
    name: Annotated[str, Field(min_length=1, max_length=200)]


class MerchantOut(BaseModel):
    id: str
    api_key: str


class ClaimOut(BaseModel):
    claim_id: str
    status: Literal["admitted"]


class VoucherOut(BaseModel):
    claim_id: str
    campaign_id: str
    serial: int
    code: str
    face_value_fen: int
    valid_until: str
    issued_at: str
    status: Literal["issued", "redeemed"]


class ClaimStatusOut(BaseModel):
    claim_id: str
    status: Literal["admitted", "issued"]
    voucher: VoucherOut | None


class VouchersOut(BaseModel):
    vouchers: list[VoucherOut]


class RedemptionIn(Strict):
    code: Annotated[str, Field(min_length=1, max_length=256)]


class RedemptionOut(BaseModel):
    redemption_id: str
    campaign_id: str
    serial: int
    face_value_fen: int
    redeemed_at: str


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    instance: str
