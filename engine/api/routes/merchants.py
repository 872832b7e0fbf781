"""Merchant endpoints (merchant API key): verify, redeem (online and offline batches),
reverse, rotate one's own key, and read settlement statements."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from engine.api import hot_calls
from engine.api.audit import actor_of
from engine.api.auth import require_merchant, require_ops_or_path_merchant, services
from engine.api.fields import Day, IdempotencyKey, MerchantIdPath
from engine.api.merchant_answers import (
    MerchantKeyOut,
    OfflineBatchOut,
    RedemptionOut,
    ReversalOut,
    SettlementManifestOut,
    SettlementsOut,
    VerifyOut,
    WebhookDeliveriesOut,
    WebhookOut,
)
from engine.api.models import (
    OfflineBatchIn,
    RedemptionIn,
    ReversalIn,
    TerminalId,
    VerifyIn,
    WebhookIn,
)
from engine.api.own_models import TillDayOut
from engine.api.responses import ERRORS
from engine.domain.admission import check_idempotency_key
from engine.domain.api_keys import MerchantIdentity
from engine.errors import EngineError, ValidationFailed
from engine.metrics import REVERSALS, outcome
from engine.usecases.redemptions import OfflineItem

router = APIRouter(prefix="/v1", responses=ERRORS, tags=["merchants"])
Merchant = Annotated[MerchantIdentity, Depends(require_merchant)]
# Who may call is checked before the query and body are: a stranger learns nothing, not even
# which parameters are wrong.
OWN_MERCHANT = Depends(require_ops_or_path_merchant)
From = Annotated[Day, Query(alias="from", description="first day (Asia/Shanghai)")]
To = Annotated[Day, Query(alias="to", description="last day, included")]


@router.post("/redemptions", status_code=201, response_model=RedemptionOut)
async def redeem(
    body: RedemptionIn,
    request: Request,
    who: Merchant,
    idempotency_key: IdempotencyKey = None,
    terminal: TerminalId = None,
) -> JSONResponse:
    """Redeem a voucher code: whole, an amount of a stored-value voucher, or a discount
    voucher on an order (order_fen; amount_fen answers the discount granted).

    Idempotent by Idempotency-Key: a retry answers as the first request did; another key
    for a redeemed code answers 409 already-redeemed."""
    key = check_idempotency_key(idempotency_key)
    doc = await hot_calls.redeem(
        services(request), who, body, key, request.state.request_id, terminal
    )
    return JSONResponse(doc, status_code=201)


@router.post("/redemptions/batch", response_model=OfflineBatchOut)
async def redeem_offline(body: OfflineBatchIn, request: Request, who: Merchant) -> dict[str, Any]:
    """Redemptions a terminal recorded while offline, applied in order; one outcome each."""
    items = [
        OfflineItem(
            i.code, i.idempotency_key, i.redeemed_at, i.amount_fen, i.terminal_id, i.order_fen
        )
        for i in body.items
    ]
    results = await services(request).redemptions.redeem_offline(
        who, items, request.state.request_id
    )
    return {"results": results}


@router.post("/reversals", status_code=201, response_model=ReversalOut)
async def reverse(
    body: ReversalIn, request: Request, who: Merchant, idempotency_key: IdempotencyKey = None
) -> dict[str, Any]:
    """Give back all or part of one of this merchant's redemptions, within the window."""
    key = check_idempotency_key(idempotency_key)
    try:
        answer = await services(request).reversals.reverse(
            who, body.redemption_id, key, body.amount_fen, request.state.request_id
        )
    except EngineError as exc:
        REVERSALS.labels(outcome(exc)).inc()
        raise
    REVERSALS.labels("ok").inc()
    return answer


@router.post("/codes/verify", response_model=VerifyOut)
async def verify(
    body: VerifyIn, request: Request, who: Merchant, terminal: TerminalId = None
) -> dict[str, Any]:
    """Whether a code is genuine and redeemable now; redeems nothing."""
    return await services(request).redemptions.verify(who, body.code, terminal, body.order_fen)


@router.get("/me/redemptions", response_model=TillDayOut)
async def my_redemptions(
    request: Request,
    who: Merchant,
    day: Annotated[
        Day | None, Query(description="a day in Asia/Shanghai; today by default")
    ] = None,
) -> dict[str, Any]:
    """This key's store's redemptions of a day (today in Asia/Shanghai by default)."""
    return await services(request).till.day(who, day)


@router.post("/me/keys/rotate", status_code=201, response_model=MerchantKeyOut)
async def rotate_own_key(request: Request, who: Merchant) -> dict[str, Any]:
    """A new key for the same merchant and store; the one used for this call stops at once."""
    return await services(request).merchants.rotate_key(
        who.merchant_id, who.key_id, who.store_id, actor_of(request)
    )


def period(first: date, last: date) -> tuple[date, date]:
    if last < first or (last - first).days > 366:
        raise ValidationFailed("to must be on or after from, and at most a year later")
    return first, last


@router.put(
    "/merchants/{merchant_id}/webhook", dependencies=[OWN_MERCHANT], response_model=WebhookOut
)
async def set_webhook(
    body: WebhookIn, request: Request, merchant_id: MerchantIdPath
) -> dict[str, Any]:
    """Where to send voucher.redeemed and voucher.reversed; the answer holds the secret
    that signs them (X-Nuanxin-Signature), shown this once."""
    s = services(request)
    return await s.merchants.set_webhook(
        merchant_id,
        body.url,
        actor_of(request),
        s.settings.webhook_allow_http,
        s.settings.webhook_trusted,
    )


@router.delete("/merchants/{merchant_id}/webhook", status_code=204, dependencies=[OWN_MERCHANT])
async def delete_webhook(request: Request, merchant_id: MerchantIdPath) -> Response:
    """Stop sending this merchant's events."""
    await services(request).merchants.delete_webhook(merchant_id, actor_of(request))
    return Response(status_code=204)


@router.get(
    "/merchants/{merchant_id}/webhook/deliveries",
    dependencies=[OWN_MERCHANT],
    response_model=WebhookDeliveriesOut,
)
async def webhook_deliveries(request: Request, merchant_id: MerchantIdPath) -> dict[str, Any]:
    """The latest 200 webhook deliveries and their state."""
    return {"deliveries": await services(request).merchants.webhook_deliveries(merchant_id)}


@router.get(
    "/merchants/{merchant_id}/settlements",
    dependencies=[OWN_MERCHANT],
    response_model=SettlementsOut,
)
async def settlements(
    request: Request,
    merchant_id: MerchantIdPath,
    first: From,
    last: To,
) -> dict[str, Any]:
    """Daily statements (Asia/Shanghai days) of redemptions and reversals, in fen."""
    merchants = services(request).merchants
    days = await merchants.settlements(merchant_id, *period(first, last))
    return {"merchant_id": merchant_id, "days": days} | await merchants.holds(merchant_id)


async def _export(
    request: Request, merchant_id: str, first: date, last: date
) -> tuple[str, dict[str, Any]]:
    return await services(request).merchants.settlement_export(merchant_id, *period(first, last))


@router.get(
    "/merchants/{merchant_id}/settlements.csv",
    dependencies=[OWN_MERCHANT],
    response_class=Response,
    responses={
        200: {
            "description": "the statements as CSV; X-Content-SHA256 states its digest, "
            "X-Settlement-Held the open cases holding it (or `no`)",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
async def settlements_csv(
    request: Request, merchant_id: MerchantIdPath, first: From, last: To
) -> Response:
    """The same statements as CSV, with the file's SHA-256 in X-Content-SHA256."""
    text, manifest = await _export(request, merchant_id, first, last)
    return Response(
        text,
        media_type="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{manifest["file"]}"',
            "X-Content-SHA256": manifest["sha256"],
            "X-Settlement-Held": ",".join(manifest["held_by_cases"]) or "no",
        },
    )


@router.get(
    "/merchants/{merchant_id}/settlements/manifest",
    dependencies=[OWN_MERCHANT],
    response_model=SettlementManifestOut,
)
async def settlements_manifest(
    request: Request, merchant_id: MerchantIdPath, first: From, last: To
) -> dict[str, Any]:
    """Names the CSV export for the same period and states its SHA-256."""
    return (await _export(request, merchant_id, first, last))[1]
