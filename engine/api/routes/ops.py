"""Operations endpoints (ops token): campaigns, merchants, workers, worker tokens."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request, Response

from engine.api.auth import require_ops, services
from engine.api.models import (
    CampaignId,
    CampaignIn,
    CampaignOut,
    MerchantIn,
    MerchantOut,
    TokenOut,
    WorkerIn,
    WorkerOut,
    WorkersBulkIn,
    WorkersBulkOut,
)
from engine.api.responses import ERRORS

router = APIRouter(prefix="/v1", dependencies=[Depends(require_ops)], responses=ERRORS)
WORKER_ID = Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@router.post("/campaigns", status_code=201, response_model=CampaignOut, tags=["ops"])
async def create_campaign(body: CampaignIn, request: Request, response: Response) -> dict:
    admin = services(request).admin
    campaign, created = await admin.create_campaign(body.to_domain())
    if not created:
        response.status_code = 200
    return await admin.campaign_view(campaign.id)


@router.get("/campaigns/{campaign_id}", response_model=CampaignOut, tags=["ops"])
async def get_campaign(request: Request, campaign_id: CampaignId) -> dict:
    return await services(request).admin.campaign_view(campaign_id)


@router.post("/merchants", status_code=201, response_model=MerchantOut, tags=["ops"])
async def create_merchant(body: MerchantIn, request: Request) -> dict:
    api_key = await services(request).admin.create_merchant(body.id, body.name)
    return {"id": body.id, "api_key": api_key}


@router.post("/workers", status_code=201, response_model=WorkerOut, tags=["ops"])
async def register_worker(body: WorkerIn, request: Request, response: Response) -> dict:
    created = await services(request).admin.register_worker(body.id, body.category, body.profile())
    if not created:
        response.status_code = 200
    return {"id": body.id, "category": body.category, "created": created}


@router.post("/workers/bulk", response_model=WorkersBulkOut, tags=["ops"])
async def register_workers(body: WorkersBulkIn, request: Request) -> dict:
    rows = [(w.id, str(w.category), w.profile()) for w in body.workers]
    return {"upserted": await services(request).admin.register_workers(rows)}


@router.post("/workers/{worker_id}/token", response_model=TokenOut, tags=["ops"])
async def mint_token(request: Request, worker_id: str = WORKER_ID) -> dict:
    token, expires_at = await services(request).admin.mint_token(worker_id)
    return {"token": token, "expires_at": expires_at}
