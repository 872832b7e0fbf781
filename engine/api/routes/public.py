"""Unauthenticated endpoints: health and the public keys that verify voucher codes."""

from __future__ import annotations

from fastapi import APIRouter, Request

from engine.api.auth import services
from engine.api.models import CampaignId

router = APIRouter(tags=["public"])


@router.get("/healthz")
async def healthz(request: Request) -> dict:
    s = services(request)
    await s.store.client.ping()
    await s.db.pool.fetchval("SELECT 1")
    return {"status": "ok"}


@router.get("/v1/keys")
async def public_keys(request: Request) -> dict:
    return services(request).keyring.public_document()


@router.get("/v1/campaigns/{campaign_id}/lottery")
async def lottery(request: Request, campaign_id: CampaignId) -> dict:
    """The published facts of a lottery: commitment, registrants and, after the draw,
    the seed and the winners, so anyone can re-run it (`nuanxin lottery verify`)."""
    return await services(request).lotteries.published(campaign_id)
