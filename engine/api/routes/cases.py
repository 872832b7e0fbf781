"""The cash-out watch (operations only): its review queue of cases, each with its
evidence, held and closed by operations, and the thresholds of its rules."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from engine.api.audit import actor_of
from engine.api.auth import require_ops, services
from engine.api.case_models import (
    CaseCloseIn,
    CaseDetailOut,
    CaseOut,
    CasesOut,
    WatchThresholds,
)
from engine.api.responses import ERRORS
from engine.domain.cases import Decision
from engine.domain.cashout import Thresholds
from engine.domain.ids import PARTY_ID_PATTERN

router = APIRouter(prefix="/v1/ops", responses=ERRORS, dependencies=[Depends(require_ops)])
FOR_OPS: list[str | Enum] = ["ops"]
CaseIdPath = Annotated[str, Path(pattern=r"^case-[0-9a-z]{1,32}$", description="the case's id")]


@router.get("/cases", tags=FOR_OPS, response_model=CasesOut)
async def list_cases(
    request: Request,
    status: Annotated[
        Literal["open", "closed", "all"], Query(description="the cases in this state")
    ] = "open",
    merchant_id: Annotated[
        str | None,
        Query(pattern=PARTY_ID_PATTERN, description="only cases with this merchant's redemptions"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="newest first, at most")] = 100,
) -> dict[str, Any]:
    """The review queue, newest first: open cases unless told (of one merchant if named)."""
    chosen = None if status == "all" else status
    return {"cases": await services(request).watch.cases(chosen, merchant_id, limit)}


@router.get("/cases/{case_id}", tags=FOR_OPS, response_model=CaseDetailOut)
async def get_case(request: Request, case_id: CaseIdPath) -> dict[str, Any]:
    """The case and its evidence: each redemption behind it as the watch saw it."""
    return await services(request).watch.case(case_id)


@router.post("/cases/{case_id}/hold", tags=FOR_OPS, response_model=CaseOut)
async def hold_case(request: Request, case_id: CaseIdPath) -> dict[str, Any]:
    """Hold the settlement of the case's merchants until the case is closed (audited, safe
    to repeat; `409 case-closed` for a closed case)."""
    return await services(request).watch.hold(case_id, actor_of(request))


@router.post("/cases/{case_id}/close", tags=FOR_OPS, response_model=CaseOut)
async def close_case(request: Request, case_id: CaseIdPath, body: CaseCloseIn) -> dict[str, Any]:
    """Decide the case (audited); its hold ends with it. The same decision again answers
    the same; another is `409 case-closed`."""
    decision = Decision(body.decision)
    return await services(request).watch.close(case_id, decision, body.note, actor_of(request))


@router.get("/watch/thresholds", tags=FOR_OPS, response_model=WatchThresholds)
async def get_watch_thresholds(request: Request) -> dict[str, Any]:
    """The thresholds the watch's rules use now."""
    return await services(request).watch.thresholds()


@router.put("/watch/thresholds", tags=FOR_OPS, response_model=WatchThresholds)
async def set_watch_thresholds(request: Request, body: WatchThresholds) -> dict[str, Any]:
    """Change the thresholds (audited, before and after); the watch uses them from its
    next batch of redemptions on."""
    given = Thresholds.of(body.model_dump())
    return await services(request).watch.set_thresholds(given, actor_of(request))
