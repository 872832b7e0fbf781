"""Answers anyone may read (problems, health, the code-signing keys, a lottery's
published facts) and a worker's lottery registration."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class Problem(BaseModel):
    """RFC 9457 problem details. `type` names the problem (its last path segment is the
    slug clients switch on); `title` is English for machines; some problems add fields
    (`retry_after_s`, `next_wave_at`, `failed_rule`, `redeemed_at`, `errors`...)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "https://nuanxin.example/problems/already-redeemed",
                    "title": "The voucher has already been redeemed",
                    "status": 409,
                    "detail": "The voucher has already been redeemed",
                    "instance": "/v1/redemptions",
                    "request_id": "4f2a9c1d07-1b",
                    "redeemed_by": "m-xinhua-books",
                    "redeemed_at": "2025-01-28T02:14:05.120000+00:00",
                }
            ]
        },
    )
    type: str
    title: str
    status: int
    detail: str
    instance: str
    request_id: str | None = None


class HealthOut(BaseModel):
    status: Literal["ok"]
    # false: the log is the memory-only local broker; what it loses is driven again from
    # Redis and PostgreSQL, but it is not a deployment's log (docs/DEPLOYMENT.md).
    log_durable: bool


class PublicKeyOut(BaseModel):
    key_id: int
    alg: Literal["Ed25519"]
    public_key: str  # base64 of the 32 raw bytes
    created_at: str | None
    signs_until: str | None


class PublicKeysOut(BaseModel):
    """What a till downloads to check codes offline (docs/CODES.md)."""

    active_key_id: int
    keys: list[PublicKeyOut]


class LotteryOut(BaseModel):
    """A lottery's published facts; the seed and the winners once it is drawn, so anyone
    can re-run the draw (`nuanxin lottery verify`). Entries are salted, never worker ids."""

    campaign_id: str
    state: Literal["registering", "committed", "drawn"]
    commitment: str | None = None
    registrants_digest: str | None = None
    registrants: list[str] | None = None
    stock: int | None = None
    seed_hex: str | None = None
    winners: list[str] | None = None


class RegistrationOut(BaseModel):
    campaign_id: str
    worker_id: str
    status: Literal["registered"]
    entry: str  # the worker's salted entry in the published list
