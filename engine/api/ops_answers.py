"""Answers of the operations endpoints: set-up, investigations and live figures."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from engine.api.ops_credential_models import CredentialRole


class CapGroupOut(BaseModel):
    id: str
    period: Literal["day", "week", "month"]
    max_fen: int


class EnrolmentOut(BaseModel):
    campaign_id: str
    merchant_id: str
    enrolled: Literal[True]


class PartnerCodesOut(BaseModel):
    received: int
    added: int  # new to the pool; a repeated code is not added twice
    pool_left: int


class OpsCredentialOut(BaseModel):
    """A new operations token, shown in this answer only."""

    credential_id: str
    name: str
    role: CredentialRole
    payer_id: str | None
    token: str


class OpsCredentialInfoOut(BaseModel):
    credential_id: str
    name: str
    role: CredentialRole
    payer_id: str | None
    created_by: str
    created_at: str
    revoked_at: str | None


class OpsCredentialsOut(BaseModel):
    credentials: list[OpsCredentialInfoOut]


class AuditEntryOut(BaseModel):
    id: int
    at: str
    actor: str
    action: str
    target: str
    before: Any
    after: Any
    request_id: str | None


class AuditOut(BaseModel):
    entries: list[AuditEntryOut]


class RevocationOut(BaseModel):
    campaign_id: str
    serial: int
    revoked: Literal[True]
    worker_id: str | None
    reason: str


class CodeHistoryOut(BaseModel):
    """One code: its voucher (as issued, with who holds it), its live state in Redis and
    its ledger rows (redemptions and reversals), for an investigation."""

    campaign_id: str
    serial: int
    key_id: int
    voucher: dict[str, Any]
    redis_state: dict[str, str]
    ledger: list[dict[str, Any]]


class WorkerHistoryOut(BaseModel):
    worker_id: str
    category: str
    profile: dict[str, Any]
    vouchers: list[dict[str, Any]]
    audit: list[dict[str, Any]]


class RatesOut(BaseModel):
    admitted_per_s_last_second: float
    admitted_per_s_last_minute: float
    fen_per_s_last_minute: float
    redeemed_per_s_last_second: float


class ForecastOut(BaseModel):
    """When each runs out at the last minute's rate; null: not at this rate."""

    stock_runs_out_at: str | None
    budget_runs_out_at: str | None
    available_now_runs_out_at: str | None


class WaveStateOut(BaseModel):
    current: int
    of: int
    next_at: str | None


class CampaignStatsOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    campaign_id: str
    name: str
    name_en: str | None
    status: str
    quota: int
    slots: bool = Field(
        False, description="booked by the slot: GET .../slots shows each one's fill"
    )
    admitted: int
    issued: int
    redeemed: int
    expired: int
    reclaimed: int
    remaining: int
    budget_used_fen: int
    redeemed_fen: int
    reversed_fen: int
    budget_left_fen: int | None
    available_now: int
    wave: WaveStateOut | None
    rates: RatesOut
    forecast: ForecastOut
    as_of: str


class OverviewCampaignOut(CampaignStatsOut):
    refusals: dict[str, int]  # by problem type slug
    issue_backlog: int  # admitted, not yet issued


class OverviewOut(BaseModel):
    as_of: str
    campaigns: list[OverviewCampaignOut]


class WindowsOut(BaseModel):
    campaign_id: str
    kind: Literal["claims", "issued", "redeemed"]
    size: Literal["1s", "1m"]
    windows: dict[str, int]  # window start (epoch seconds) -> events


class ImportRejectionOut(BaseModel):
    line: int
    id: str
    reason: str


class ImportReportOut(BaseModel):
    rows: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    rejections: list[ImportRejectionOut]  # the first 1,000
