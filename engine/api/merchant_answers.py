"""Answers to merchants: redemptions, checks and reversals at the till, and the
account's keys, stores, statements and webhooks."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from engine.api.models import DiscountTerms


class RedemptionOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "redemption_id": "r-9b2d41c07e5a",
                    "campaign_id": "books-2027",
                    "serial": 1812,
                    "face_value_fen": 5000,
                    "amount_fen": 5000,
                    "balance_fen": 0,
                    "redeemed_at": "2027-01-28T02:14:05.120000+00:00",
                }
            ]
        }
    )
    redemption_id: str
    campaign_id: str
    serial: int
    face_value_fen: int
    amount_fen: int = Field(description="for a discount voucher, the discount granted")
    balance_fen: int
    redeemed_at: str
    order_fen: int | None = Field(None, description="the order a discount was granted on")
    to_pay_fen: int | None = Field(None, description="what is left to pay of the order")


class VerifyOut(BaseModel):
    """What a till sees before redeeming: genuine, and redeemable here now or why not."""

    genuine: bool
    campaign_id: str
    campaign_name: str
    campaign_name_en: str | None
    serial: int
    key_id: int = Field(description="the signing key's id (GET /v1/keys)")
    valid_until: str
    face_value_fen: int | None = Field(description="only for an enrolled merchant")
    balance_fen: int | None = Field(description="stored value, for an enrolled merchant")
    stored_value: bool
    redeemable: bool
    reason: str | None = Field(
        description="why not redeemable: a problem type slug, not-yet-issued or not-enrolled"
    )
    discount: DiscountTerms | None = Field(
        None, description="a discount voucher's terms, for an enrolled merchant"
    )
    order_fen: int | None = Field(None, description="the order asked about")
    grants_fen: int | None = Field(None, description="the discount it grants that order")
    shortfall_fen: int | None = Field(
        None, description="how much more the order needs to reach the lowest tier"
    )


class ReversalOut(BaseModel):
    reversal_id: str
    redemption_id: str
    campaign_id: str
    serial: int
    amount_fen: int
    reversed_at: str


class OfflineResultOut(BaseModel):
    """One uploaded item's outcome: `redemption` when accepted; `reason` (a problem type
    slug) and `detail` when a conflict (with who redeemed it and when) or rejected."""

    model_config = ConfigDict(extra="allow")
    index: int
    idempotency_key: str
    status: Literal["accepted", "conflict", "rejected"]
    redemption: RedemptionOut | None = None
    reason: str | None = None
    detail: str | None = None


class OfflineBatchOut(BaseModel):
    results: list[OfflineResultOut]


class MerchantKeyOut(BaseModel):
    """A new key, shown in this answer only."""

    key_id: str
    merchant_id: str
    store_id: str | None
    api_key: str


class MerchantKeyInfoOut(BaseModel):
    key_id: str
    store_id: str | None
    created_at: str
    revoked_at: str | None


class MerchantKeysOut(BaseModel):
    keys: list[MerchantKeyInfoOut]


class StoreOut(BaseModel):
    merchant_id: str
    id: str
    name: str


class SettlementDayOut(BaseModel):
    """One day (Asia/Shanghai) of a merchant's statement, in fen."""

    merchant_id: str
    day: str
    redemptions: int
    redeemed_fen: int
    reversals: int
    reversed_fen: int
    net_fen: int


class SettlementHold(BaseModel):
    held: bool = Field(description="held until the cash-out watch's cases holding it close")
    held_by_cases: list[str]


class SettlementsOut(SettlementHold):
    merchant_id: str
    days: list[SettlementDayOut]


class SettlementManifestOut(SettlementHold):
    """Names the CSV export of the same period and states its SHA-256."""

    file: str
    sha256: str
    rows: int
    merchant_id: str
    first: str = Field(alias="from")
    last: str = Field(alias="to")
    net_fen: int


class WebhookOut(BaseModel):
    merchant_id: str
    url: str
    secret: str = Field(description="signs every delivery (X-Nuanxin-Signature); shown once")


class WebhookDeliveryOut(BaseModel):
    event_id: str
    event_type: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    last_error: str | None
    created_at: str
    delivered_at: str | None
    next_attempt_at: str


class WebhookDeliveriesOut(BaseModel):
    deliveries: list[WebhookDeliveryOut]
