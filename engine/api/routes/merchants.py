"""Merchant endpoints (merchant API key): redeem a voucher code."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from engine.api.auth import require_merchant, services
from engine.api.models import IdempotencyKey, RedemptionIn, RedemptionOut
from engine.api.responses import ERRORS
from engine.domain.admission import check_idempotency_key

router = APIRouter(prefix="/v1", responses=ERRORS, tags=["merchants"])


@router.post("/redemptions", status_code=201, response_model=RedemptionOut)
async def redeem(
    body: RedemptionIn,
    request: Request,
    merchant_id: Annotated[str, Depends(require_merchant)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    key = check_idempotency_key(idempotency_key)
    answer = await services(request).redemptions.redeem(
        merchant_id, body.code, key, request.state.request_id
    )
    return JSONResponse(answer.as_dict(), status_code=201)
