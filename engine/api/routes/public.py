"""Unauthenticated endpoints: health and the public keys that verify voucher codes."""

from __future__ import annotations

import os
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)

from engine.api.auth import require_ops, services
from engine.api.fields import CampaignIdPath
from engine.api.public_answers import HealthOut, LotteryOut, PublicKeysOut

router = APIRouter(tags=["public"])


@router.get("/healthz", response_model=HealthOut)
async def healthz(request: Request) -> dict[str, Any]:
    """Ready when Redis and PostgreSQL answer (a load balancer's check)."""
    return await services(request).health.check()


@router.get("/metrics", include_in_schema=False, dependencies=[Depends(require_ops)])
async def metrics() -> Response:
    """Prometheus scrape endpoint (ops token: the figures are the union's business)."""
    registry = REGISTRY
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:  # several uvicorn processes: add them up
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/v1/keys", response_model=PublicKeysOut)
async def public_keys(request: Request) -> dict[str, Any]:
    """The Ed25519 keys that sign voucher codes, for checking codes offline."""
    return services(request).keyring.public_document()


@router.get("/v1/campaigns/{campaign_id}/lottery", response_model=LotteryOut)
async def lottery(request: Request, campaign_id: CampaignIdPath) -> dict[str, Any]:
    """The published facts of a lottery: commitment, registrants and, after the draw,
    the seed and the winners, so anyone can re-run it (`nuanxin lottery verify`)."""
    return await services(request).lotteries.published(campaign_id)
