"""A claim and a redemption once their input is read, as both paths run them (the
framework's routes and hot_routes.py): the use case, its metric, the answer's document.
Errors are raised for the caller's one mapping (problems.exception_answer)."""

from __future__ import annotations

from typing import Any

from engine.api.models import ClaimIn, RedemptionIn
from engine.api.services import Services
from engine.domain.api_keys import MerchantIdentity
from engine.domain.tokens import WorkerIdentity
from engine.errors import EngineError
from engine.metrics import CLAIMS, REDEMPTIONS, outcome

# Refusals that imply the campaign exists: the dashboard counts them per campaign.
COUNTED_REFUSALS = frozenset(
    {
        "sold-out",
        "limit-reached",
        "not-eligible",
        "claim-window-closed",
        "registration-required",
        "station-out-of-stock",
    }
)


async def claim(
    services: Services,
    campaign_id: str,
    who: WorkerIdentity,
    key: str,
    request_id: str,
    asked: ClaimIn,
) -> dict[str, Any]:
    try:
        answer = await services.claims.claim(
            campaign_id,
            who,
            key,
            request_id,
            asked.face_value_fen,
            asked.station_id,
            asked.slot_id,
        )
    except EngineError as exc:
        _count_refused_claim(services, campaign_id, exc)
        raise
    CLAIMS.labels(campaign_id, "ok").inc()
    return {"claim_id": answer.claim_id, "status": answer.status}


def _count_refused_claim(services: Services, campaign_id: str, exc: EngineError) -> None:
    # Only campaigns that exist get a series of their own; made-up ids share one.
    label = campaign_id if services.claims.campaigns.known(campaign_id) else "-"
    CLAIMS.labels(label, outcome(exc)).inc()
    if exc.slug in COUNTED_REFUSALS:
        services.stats.count_refusal(campaign_id, exc.slug)


async def redeem(
    services: Services,
    who: MerchantIdentity,
    asked: RedemptionIn,
    key: str,
    request_id: str,
    terminal: str | None,
) -> dict[str, Any]:
    try:
        answer = await services.redemptions.redeem(
            who,
            asked.code,
            key,
            request_id,
            asked.amount_fen,
            terminal,
            order_fen=asked.order_fen,
        )
    except EngineError as exc:
        # Refused codes carry no trustworthy campaign: they are counted under "-".
        REDEMPTIONS.labels(exc.campaign_id, outcome(exc)).inc()
        raise
    REDEMPTIONS.labels(answer.campaign_id, "ok").inc()
    return answer.as_dict()
