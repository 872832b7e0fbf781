"""Operations endpoints (ops token): campaigns and their lifecycle, cap groups, partner
pools, lottery steps, merchants, workers and worker tokens."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import ValidationError

from engine.api.audit import actor_of
from engine.api.auth import require_ops, services
from engine.api.fields import CampaignIdPath, KeyIdPath, MerchantIdPath, WorkerIdPath
from engine.api.merchant_answers import MerchantKeyOut, MerchantKeysOut, StoreOut
from engine.api.models import (
    CampaignIn,
    CampaignOut,
    CampaignPatch,
    CapGroupIn,
    CodeLookupIn,
    EnrolIn,
    KeyIn,
    MerchantIn,
    MerchantOut,
    PoolIn,
    RevokeIn,
    StatusIn,
    StoreIn,
    TokenOut,
    WorkerIn,
    WorkerOut,
    WorkersBulkIn,
    WorkersBulkOut,
)
from engine.api.ops_answers import (
    AuditOut,
    CampaignStatsOut,
    CapGroupOut,
    CodeHistoryOut,
    EnrolmentOut,
    ImportReportOut,
    OpsCredentialOut,
    OpsCredentialsOut,
    OverviewOut,
    PartnerCodesOut,
    RevocationOut,
    WindowsOut,
    WorkerHistoryOut,
)
from engine.api.ops_credential_models import OpsCredentialIn
from engine.api.public_answers import LotteryOut
from engine.api.responses import ERRORS
from engine.domain.campaigns import merge_changes
from engine.domain.roles import Role, Staff
from engine.errors import ValidationFailed
from engine.usecases.workers import read_csv

router = APIRouter(
    prefix="/v1", dependencies=[Depends(require_ops)], responses=ERRORS, tags=["ops"]
)


@router.post("/campaigns", status_code=201, response_model=CampaignOut)
async def create_campaign(body: CampaignIn, request: Request, response: Response) -> dict[str, Any]:
    """Create a campaign (201), or 200 with it when this exact definition exists."""
    admin = services(request).admin
    campaign, created = await admin.create_campaign(body.to_domain(), actor_of(request))
    if not created:
        response.status_code = 200
    return await admin.view_of(campaign)


@router.get("/campaigns/{campaign_id}", response_model=CampaignOut)
async def get_campaign(request: Request, campaign_id: CampaignIdPath) -> dict[str, Any]:
    """A campaign's definition and its live counters."""
    return await services(request).admin.campaign_view(campaign_id)


@router.patch("/campaigns/{campaign_id}", response_model=CampaignOut)
async def change_campaign(
    body: CampaignPatch, request: Request, campaign_id: CampaignIdPath
) -> dict[str, Any]:
    """A new version of the definition; vouchers already issued keep theirs."""
    admin = services(request).admin
    merged_doc = merge_changes(await admin.definition(campaign_id), body.model_extra or {})
    fields = set(CampaignIn.model_fields) - {"status"}
    try:
        merged = CampaignIn.model_validate({k: v for k, v in merged_doc.items() if k in fields})
    except ValidationError as exc:
        raise ValidationFailed("; ".join(e["msg"] for e in exc.errors()[:10])) from None
    changed = await admin.update_campaign(
        campaign_id, merged.to_domain(), body.version, actor_of(request)
    )
    return await admin.view_of(changed)


@router.get("/ops/audit", response_model=AuditOut)
async def audit_log(
    request: Request,
    target: Annotated[
        str | None, Query(max_length=200, description="only entries about this target")
    ] = None,
    action: Annotated[str | None, Query(max_length=64, description="only this action")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="newest first, at most")] = 100,
) -> dict[str, Any]:
    """Who did what to what, newest first."""
    return {"entries": await services(request).operators.audit(target, action, limit)}


@router.post("/ops/credentials", status_code=201, response_model=OpsCredentialOut)
async def create_ops_credential(body: OpsCredentialIn, request: Request) -> dict[str, Any]:
    """A named token for one person (operations or finance staff, or a payer's); the
    token is shown once."""
    staff = Staff(body.name, Role(body.role), body.payer_id)
    return await services(request).operators.create(staff, actor_of(request))


@router.get("/ops/credentials", response_model=OpsCredentialsOut)
async def list_ops_credentials(request: Request) -> dict[str, Any]:
    """Every operations credential, active and revoked (never the tokens)."""
    return {"credentials": await services(request).operators.credentials()}


@router.delete("/ops/credentials/{credential_id}", status_code=204)
async def revoke_ops_credential(
    request: Request,
    credential_id: Annotated[
        str, Path(pattern=r"^o-[0-9a-f]{12}$", description="the credential's id")
    ],
) -> Response:
    """Takes effect on the token's next request."""
    await services(request).operators.revoke(credential_id, actor_of(request))
    return Response(status_code=204)


@router.post("/ops/vouchers/revoke", response_model=RevocationOut)
async def revoke_voucher(body: RevokeIn, request: Request) -> dict[str, Any]:
    """Stop a voucher that still has value (fraud, error); the reason is kept and audited."""
    return await services(request).investigations.revoke(body.code, body.reason, actor_of(request))


@router.post("/ops/codes/history", response_model=CodeHistoryOut)
async def code_history(body: CodeLookupIn, request: Request) -> dict[str, Any]:
    """Everything about one code: its voucher, its state in Redis and its ledger rows.
    (POST: a code is a bearer credential and does not belong in a URL.)"""
    return await services(request).investigations.code_history(body.code)


@router.get("/ops/workers/{worker_id}/history", response_model=WorkerHistoryOut)
async def worker_history(request: Request, worker_id: WorkerIdPath) -> dict[str, Any]:
    """A worker's profile, vouchers with their ledger rows, and the audit entries on them."""
    return await services(request).investigations.worker_history(worker_id)


@router.get("/ops/overview", response_model=OverviewOut)
async def overview(request: Request) -> dict[str, Any]:
    """Every live campaign's figures, refusals by reason and issuance backlog (the dashboard)."""
    return await services(request).stats.overview()


@router.get("/ops/campaigns/{campaign_id}/windows", response_model=WindowsOut)
async def campaign_windows(
    request: Request,
    campaign_id: CampaignIdPath,
    kind: Annotated[
        Literal["claims", "issued", "redeemed"], Query(description="which events")
    ] = "claims",
    size: Annotated[Literal["1s", "1m"], Query(description="window length")] = "1s",
) -> dict[str, Any]:
    """Events per tumbling window (start -> count), as the stream workers counted them."""
    counts = await services(request).stats.windows(campaign_id, kind, size)
    return {
        "campaign_id": campaign_id,
        "kind": kind,
        "size": size,
        "windows": {str(k): v for k, v in sorted(counts.items())},
    }


@router.get("/ops/campaigns/{campaign_id}/stats", response_model=CampaignStatsOut)
async def campaign_stats(request: Request, campaign_id: CampaignIdPath) -> dict[str, Any]:
    """Counters, rates, and when stock, budget and the current wave run out at this rate."""
    return await services(request).stats.campaign(campaign_id)


@router.post("/campaigns/{campaign_id}/status", response_model=CampaignOut)
async def set_status(
    body: StatusIn, request: Request, campaign_id: CampaignIdPath
) -> dict[str, Any]:
    """Lifecycle: draft -> scheduled -> open -> paused -> closed. A pause applies at once."""
    admin = services(request).admin
    return await admin.view_of(await admin.set_status(campaign_id, body.status, actor_of(request)))


@router.post("/cap-groups", status_code=201, response_model=CapGroupOut)
async def create_cap_group(
    body: CapGroupIn, request: Request, response: Response
) -> dict[str, Any]:
    """A per-worker cap in fen per period, shared by every campaign naming this group."""
    admin = services(request).admin
    if not await admin.create_cap_group(
        body.id, body.period.value, body.max_fen, actor_of(request)
    ):
        response.status_code = 200
    return body.model_dump(mode="json")


@router.post("/campaigns/{campaign_id}/pool/bulk", response_model=PartnerCodesOut)
async def import_pool(
    body: PoolIn, request: Request, campaign_id: CampaignIdPath
) -> dict[str, Any]:
    """Add partner codes (data cards, say) to a partner-pool campaign; repeats are ignored."""
    return await services(request).admin.import_partner_codes(
        campaign_id, body.codes, actor_of(request)
    )


@router.post("/campaigns/{campaign_id}/lottery/commit", response_model=LotteryOut)
async def lottery_commit(request: Request, campaign_id: CampaignIdPath) -> dict[str, Any]:
    """At registration close: fix the registrant list and publish the seed's commitment."""
    return await services(request).lotteries.commit(campaign_id, actor_of(request))


@router.post("/campaigns/{campaign_id}/lottery/draw", response_model=LotteryOut)
async def lottery_draw(request: Request, campaign_id: CampaignIdPath) -> dict[str, Any]:
    """Reveal the seed, rank the registrants and admit the winners (idempotent)."""
    return await services(request).lotteries.draw(campaign_id, actor_of(request))


@router.post("/merchants", status_code=201, response_model=MerchantOut)
async def create_merchant(body: MerchantIn, request: Request) -> dict[str, Any]:
    """The answer holds the merchant's first API key; it is never shown again."""
    return await services(request).merchants.create(body.id, body.name, actor_of(request))


@router.post("/merchants/{merchant_id}/stores", status_code=201, response_model=StoreOut)
async def add_store(
    body: StoreIn, request: Request, merchant_id: MerchantIdPath, response: Response
) -> dict[str, Any]:
    """Add a store to a merchant (201), or 200 when it exists; store keys are issued per store."""
    merchants = services(request).merchants
    if not await merchants.add_store(merchant_id, body.id, body.name, actor_of(request)):
        response.status_code = 200
    return {"merchant_id": merchant_id, "id": body.id, "name": body.name}


@router.post("/merchants/{merchant_id}/keys", status_code=201, response_model=MerchantKeyOut)
async def issue_key(body: KeyIn, request: Request, merchant_id: MerchantIdPath) -> dict[str, Any]:
    """A new key (optionally for one store); shown in this answer only."""
    return await services(request).merchants.issue_key(
        merchant_id, body.store_id, actor_of(request)
    )


@router.get("/merchants/{merchant_id}/keys", response_model=MerchantKeysOut)
async def list_keys(request: Request, merchant_id: MerchantIdPath) -> dict[str, Any]:
    """The merchant's keys, active and revoked (never the keys themselves)."""
    return {"keys": await services(request).merchants.keys(merchant_id)}


@router.delete("/merchants/{merchant_id}/keys/{key_id}", status_code=204)
async def revoke_key(request: Request, merchant_id: MerchantIdPath, key_id: KeyIdPath) -> Response:
    """Takes effect on the key's next request."""
    await services(request).merchants.revoke_key(merchant_id, key_id, actor_of(request))
    return Response(status_code=204)


@router.post("/campaigns/{campaign_id}/merchants", response_model=EnrolmentOut)
async def enrol_merchant(
    body: EnrolIn, request: Request, campaign_id: CampaignIdPath
) -> dict[str, Any]:
    """Let a merchant redeem this campaign's vouchers (idempotent)."""
    await services(request).merchants.enrol(campaign_id, body.merchant_id, actor_of(request))
    return {"campaign_id": campaign_id, "merchant_id": body.merchant_id, "enrolled": True}


@router.delete("/campaigns/{campaign_id}/merchants/{merchant_id}", status_code=204)
async def unenrol_merchant(
    request: Request, campaign_id: CampaignIdPath, merchant_id: MerchantIdPath
) -> Response:
    """End an enrolment; the merchant's next redemption of this campaign is refused."""
    await services(request).merchants.unenrol(campaign_id, merchant_id, actor_of(request))
    return Response(status_code=204)


@router.post("/workers", status_code=201, response_model=WorkerOut)
async def register_worker(body: WorkerIn, request: Request, response: Response) -> dict[str, Any]:
    """Register a worker and the facts eligibility rules read (201; 200 when unchanged)."""
    created = await services(request).workers.register(body.id, body.profile())
    if not created:
        response.status_code = 200
    return {"id": body.id, "category": body.category, "created": created}


@router.post("/workers/bulk", response_model=WorkersBulkOut)
async def register_workers(body: WorkersBulkIn, request: Request) -> dict[str, Any]:
    """Register or update up to 5,000 workers at once; returns how many rows changed."""
    items = [(w.id, w.profile()) for w in body.workers]
    return {"upserted": await services(request).workers.register_many(items)}


@router.post("/workers/import", response_model=ImportReportOut)
async def import_workers(request: Request) -> dict[str, Any]:
    """A CSV body (header: id, category and profile columns); a per-row report comes back."""
    text = (await request.body()).decode("utf-8-sig", errors="replace")
    report = await services(request).workers.import_rows(
        read_csv(text.splitlines()), actor_of(request)
    )
    return report.as_dict()


@router.post("/workers/{worker_id}/token", response_model=TokenOut)
async def mint_token(request: Request, worker_id: WorkerIdPath) -> dict[str, Any]:
    """A bearer token for the worker's app (HMAC, with a key id; docs/TOKENS.md)."""
    token, expires_at = await services(request).tokens.mint(worker_id, actor_of(request))
    return {"token": token, "expires_at": expires_at}


@router.post("/workers/{worker_id}/tokens/revoke", status_code=204)
async def revoke_tokens(request: Request, worker_id: WorkerIdPath) -> Response:
    """Every token the worker holds stops, in every API process within about a second
    (a lost phone, a closed account); a token minted afterwards works."""
    await services(request).tokens.revoke(worker_id, actor_of(request))
    return Response(status_code=204)
