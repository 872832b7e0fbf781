"""Merchant endpoints (merchant API key): redeem a voucher code."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Header, Request

from engine.api.auth import require_merchant, services
from engine.api.models import RedemptionIn, RedemptionOut
from engine.api.responses import ERRORS
from engine.domain.admission import check_idempotency_key

router = APIRouter(prefix="/v1", responses=ERRORS, tags=["merchants"])


@router.post("/redemptions", status_code=201, response_model=RedemptionOut)
async def redeem(
    body: RedemptionIn,
    request: Request,
    merchant_id: str = Depends(require_merchant),
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=128),
) -> dict:
    key = check_idempotency_key(idempotency_key)
    answer = await services(request).redemptions.redeem(
        merchant_id, body.code, key, request.state.request_id
    )
    return answer.as_dict()
