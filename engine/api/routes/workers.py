"""Worker endpoints (worker bearer token): claim, register for a lottery, and read one's
own claims and vouchers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse, Response

from engine.api import hot_calls
from engine.api.auth import require_worker, services, verified_worker
from engine.api.fields import CampaignIdPath, IdempotencyKey
from engine.api.models import NO_CHOICE, ClaimIn, ClaimOut, ClaimStatusOut
from engine.api.own_models import ProgrammesOut, VouchersOut
from engine.api.public_answers import RegistrationOut
from engine.api.qr import svg_of
from engine.api.responses import ERRORS
from engine.domain.admission import check_idempotency_key
from engine.domain.tokens import WorkerIdentity

router = APIRouter(prefix="/v1", responses=ERRORS, tags=["workers"])
Worker = Annotated[WorkerIdentity, Depends(require_worker)]


ClaimingWorker = Annotated[WorkerIdentity, Depends(verified_worker)]


# The body is required in the contract (`{}` when the campaign has one face value), so a
# generated client always sends one; a request without a body is still taken as `{}`.
@router.post(
    "/campaigns/{campaign_id}/claims",
    status_code=201,
    response_model=ClaimOut,
    openapi_extra={"requestBody": {"required": True}},
)
async def claim(
    request: Request,
    campaign_id: CampaignIdPath,
    who: ClaimingWorker,
    idempotency_key: IdempotencyKey = None,
    body: ClaimIn = NO_CHOICE,
) -> JSONResponse:
    """Claim a voucher of this campaign for the calling worker.

    Idempotent by Idempotency-Key: a retry answers as the first request did."""
    key = check_idempotency_key(idempotency_key)
    doc = await hot_calls.claim(
        services(request), campaign_id, who, key, request.state.request_id, body
    )
    # A ready response skips FastAPI's response-model pass on the hottest route.
    return JSONResponse(doc, status_code=201)


@router.post(
    "/campaigns/{campaign_id}/registrations", status_code=201, response_model=RegistrationOut
)
async def register(request: Request, campaign_id: CampaignIdPath, who: Worker) -> dict[str, Any]:
    """Enter a lottery campaign's draw (idempotent)."""
    entry = await services(request).lotteries.register(campaign_id, who)
    # The list the lottery publishes holds this entry, never the worker id.
    return {
        "campaign_id": campaign_id,
        "worker_id": who.worker_id,
        "status": "registered",
        "entry": entry,
    }


ClaimIdPath = Annotated[str, Path(max_length=128, description="the claim's id")]


@router.get("/claims/{claim_id}", response_model=ClaimStatusOut)
async def get_claim(request: Request, claim_id: ClaimIdPath, who: Worker) -> dict[str, Any]:
    """The caller's claim: admitted, or issued with its voucher."""
    return await services(request).claims.get(claim_id, who)


@router.get("/me/vouchers", response_model=VouchersOut)
async def my_vouchers(request: Request, who: Worker) -> dict[str, Any]:
    """The caller's vouchers, with their codes, values, balances and states."""
    return {"vouchers": await services(request).claims.vouchers_of(who)}


@router.get(
    "/me/vouchers/{claim_id}/qr.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {"schema": {"type": "string"}}}}},
)
async def my_voucher_qr(request: Request, claim_id: ClaimIdPath, who: Worker) -> Response:
    """The voucher's code as a QR code (SVG, version 6-M; docs/CODES.md)."""
    voucher = await services(request).claims.voucher(claim_id, who)
    # Private, like the code it draws: no shared cache may keep it.
    headers = {"Cache-Control": "private, no-store"}
    return Response(svg_of(voucher.code), media_type="image/svg+xml", headers=headers)


@router.get("/me/programmes", response_model=ProgrammesOut)
async def my_programmes(request: Request, who: Worker) -> dict[str, Any]:
    """The live programmes, each with whether this worker may claim it now and why not."""
    return {"programmes": await services(request).offers.for_worker(who)}
