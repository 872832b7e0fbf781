"""Money out of a programme (operations only). Payout batches: one operator prepares a
batch of the payouts owed, another approves it; its payment file goes to the bank and the
bank's result file comes back; a failed payout is tried again or cancelled. A co-funded
programme's payers: each one's statement of its part of the ledger."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response

from engine.api.audit import actor_of
from engine.api.auth import require_duty, require_ops, require_ops_or_path_payer, services
from engine.api.fields import CampaignIdPath, IdempotencyKey
from engine.api.payer_models import PayerStatementOut
from engine.api.payout_models import PayoutBatchIn, PayoutBatchOut, PayoutOut, PayoutTotalsOut
from engine.api.responses import ERRORS
from engine.api.routes.merchants import From, To, period
from engine.domain.admission import check_idempotency_key
from engine.domain.ids import PARTY_ID_PATTERN
from engine.domain.roles import Role
from engine.errors import ValidationFailed

router = APIRouter(prefix="/v1", responses=ERRORS)
FOR_OPS: list[str | Enum] = ["ops"]
# The two payout duties (engine/domain/roles.py): operations hold both.
PREPARER = [Depends(require_duty(Role.PAYOUT_PREPARER))]
APPROVER = [Depends(require_duty(Role.PAYOUT_APPROVER))]
EITHER = [Depends(require_duty(Role.PAYOUT_PREPARER, Role.PAYOUT_APPROVER))]
OPS = [Depends(require_ops)]
OWN_PAYER = [Depends(require_ops_or_path_payer)]
BatchIdPath = Annotated[str, Path(max_length=128, description="the batch's id")]
PayoutIdPath = Annotated[str, Path(max_length=128, description="the payout's id (its claim)")]
CSV = {"content": {"text/csv": {"schema": {"type": "string"}}}}


@router.post(
    "/ops/campaigns/{campaign_id}/payout-batches",
    dependencies=PREPARER,
    tags=FOR_OPS,
    status_code=201,
    response_model=PayoutBatchOut,
)
async def prepare_payout_batch(
    body: PayoutBatchIn,
    request: Request,
    campaign_id: CampaignIdPath,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """A batch of the payouts owed (every voucher issued and not yet paid out becomes
    one); its id is the Idempotency-Key, so a retry answers the same batch."""
    key = check_idempotency_key(idempotency_key)
    return await services(request).payouts.prepare(
        campaign_id, key, body.max_payouts, actor_of(request)
    )


@router.get(
    "/ops/payout-batches/{batch_id}",
    dependencies=EITHER,
    tags=FOR_OPS,
    response_model=PayoutBatchOut,
)
async def get_payout_batch(request: Request, batch_id: BatchIdPath) -> dict[str, Any]:
    """The batch, its state and its payouts."""
    return await services(request).payouts.batch_view(batch_id)


@router.post(
    "/ops/payout-batches/{batch_id}/approve",
    dependencies=APPROVER,
    tags=FOR_OPS,
    response_model=PayoutBatchOut,
)
async def approve_payout_batch(request: Request, batch_id: BatchIdPath) -> dict[str, Any]:
    """The second person's approval (`409` for the operator who prepared it)."""
    return await services(request).payouts.approve(batch_id, actor_of(request))


@router.get(
    "/ops/payout-batches/{batch_id}/payment-file",
    dependencies=PREPARER,
    tags=FOR_OPS,
    response_class=Response,
    responses={200: {"description": "X-Content-SHA256 states its digest"} | CSV},
)
async def payment_file(request: Request, batch_id: BatchIdPath) -> Response:
    """The approved batch's payment file for the bank (CSV); the same file every time."""
    text, digest = await services(request).payouts.payment_file(batch_id, actor_of(request))
    headers = {
        "Content-Disposition": f'attachment; filename="payouts-{batch_id}.csv"',
        "X-Content-SHA256": digest,
    }
    return Response(text, media_type="text/csv", headers=headers)


@router.put(
    "/ops/payout-batches/{batch_id}/bank-result",
    dependencies=PREPARER,
    tags=FOR_OPS,
    response_model=PayoutBatchOut,
    openapi_extra={"requestBody": {"required": True} | CSV},
)
async def import_bank_result(request: Request, batch_id: BatchIdPath) -> dict[str, Any]:
    """The bank's result file (CSV: payout_id, amount_fen, status paid|failed, reason):
    every line checked first (`422` names the line, nothing changes), then each paid payout
    is redeemed by the campaign's paying merchant and each failed one marked."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "text/csv":
        raise ValidationFailed("The bank's result file is sent as text/csv")
    try:
        text = (await request.body()).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed("The result file is not UTF-8") from None
    return await services(request).payouts.import_result(batch_id, text, actor_of(request))


@router.post(
    "/ops/payouts/{payout_id}/retry", dependencies=PREPARER, tags=FOR_OPS, response_model=PayoutOut
)
async def retry_payout(request: Request, payout_id: PayoutIdPath) -> dict[str, Any]:
    """A failed payout owed again, for a later batch."""
    return await services(request).payouts.retry(payout_id, actor_of(request))


@router.post(
    "/ops/payouts/{payout_id}/cancel", dependencies=PREPARER, tags=FOR_OPS, response_model=PayoutOut
)
async def cancel_payout(request: Request, payout_id: PayoutIdPath) -> dict[str, Any]:
    """A pending or failed payout that will not be made: its amount goes back to the
    budget (and its place to the programme)."""
    return await services(request).payouts.cancel(payout_id, actor_of(request))


@router.get(
    "/ops/campaigns/{campaign_id}/payouts",
    dependencies=EITHER,
    tags=FOR_OPS,
    response_model=PayoutTotalsOut,
)
async def payout_totals(request: Request, campaign_id: CampaignIdPath) -> dict[str, Any]:
    """The campaign's payouts by state, with their amounts."""
    return await services(request).payouts.totals(campaign_id)


PayerIdPath = Annotated[str, Path(pattern=PARTY_ID_PATTERN, description="the payer's id")]


@router.get(
    "/ops/campaigns/{campaign_id}/payers/{payer_id}/statements",
    dependencies=OPS,
    tags=FOR_OPS,
    response_model=PayerStatementOut,
)
async def payer_statement(
    request: Request, campaign_id: CampaignIdPath, payer_id: PayerIdPath, first: From, last: To
) -> dict[str, Any]:
    """The payer's part of each day's redemptions and reversals of a co-funded programme,
    split to the fen: the payers' statements of a day add up to the day's ledger."""
    return await services(request).payer_statements.statement(
        campaign_id, payer_id, *period(first, last)
    )


@router.get(
    "/ops/campaigns/{campaign_id}/payers/{payer_id}/statements.csv",
    dependencies=OPS,
    tags=FOR_OPS,
    response_class=Response,
    responses={200: {"description": "X-Content-SHA256 states its digest"} | CSV},
)
async def payer_statement_csv(
    request: Request, campaign_id: CampaignIdPath, payer_id: PayerIdPath, first: From, last: To
) -> Response:
    """The same statement as CSV, with the file's SHA-256 in X-Content-SHA256."""
    text, digest = await services(request).payer_statements.export(
        campaign_id, payer_id, *period(first, last)
    )
    name = f"{campaign_id}-{payer_id}-{first}-{last}.csv"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "X-Content-SHA256": digest}
    return Response(text, media_type="text/csv", headers=headers)


@router.get(
    "/payers/{payer_id}/campaigns/{campaign_id}/statements",
    dependencies=OWN_PAYER,
    tags=["payers"],
    response_model=PayerStatementOut,
)
async def own_payer_statement(
    request: Request, payer_id: PayerIdPath, campaign_id: CampaignIdPath, first: From, last: To
) -> dict[str, Any]:
    """The payer's own statement, read with its payer credential (or by operations)."""
    return await payer_statement(request, campaign_id, payer_id, first, last)


@router.get(
    "/payers/{payer_id}/campaigns/{campaign_id}/statements.csv",
    dependencies=OWN_PAYER,
    tags=["payers"],
    response_class=Response,
    responses={200: {"description": "X-Content-SHA256 states its digest"} | CSV},
)
async def own_payer_statement_csv(
    request: Request, payer_id: PayerIdPath, campaign_id: CampaignIdPath, first: From, last: To
) -> Response:
    """The payer's own statement as CSV, with the file's SHA-256 in X-Content-SHA256."""
    return await payer_statement_csv(request, campaign_id, payer_id, first, last)
