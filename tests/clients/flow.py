"""An app developer's main flow, through the Python client generated from
schemas/openapi.json and nothing else: merchant, a half-price campaign (percent_off),
worker, token, claim, claim status until issued, verify on an order, redeem by the short
code on that order, and the 409 problem for a second redemption.

Type-checked with mypy --strict against the generated package (mypy.ini), then run
against the real stack by tests/integration/test_generated_clients.py.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from nuanxin_client import AuthenticatedClient
from nuanxin_client.api.merchants import redeem_code, verify_code
from nuanxin_client.api.ops import (
    create_campaign,
    create_merchant,
    create_worker,
    create_worker_token,
    enrol_merchant,
)
from nuanxin_client.api.workers import create_claim, get_claim
from nuanxin_client.models import (
    CampaignIn,
    CampaignOut,
    ClaimIn,
    ClaimOut,
    ClaimStatusOut,
    ClaimStatusOutStatus,
    EnrolIn,
    MerchantIn,
    MerchantOut,
    PercentOffTerms,
    Problem,
    RedemptionIn,
    RedemptionOut,
    TokenOut,
    VerifyIn,
    VerifyOut,
    WorkerCategory,
    WorkerIn,
    WorkerOut,
)


@dataclass(frozen=True)
class FlowResult:
    code: str
    short_code: str
    verified: VerifyOut
    redeemed: RedemptionOut
    again: Problem


T = TypeVar("T")


def _expect(answer: T | Problem | None, kind: type[T]) -> T:
    if not isinstance(answer, kind):
        raise TypeError(f"expected {kind.__name__}, got {answer!r}")
    return answer


def _problem(answer: object) -> Problem:
    if not isinstance(answer, Problem):
        raise TypeError(f"expected a problem, got {answer!r}")
    return answer


async def claim_to_redemption(base_url: str, ops_token: str) -> FlowResult:
    run = uuid.uuid4().hex[:8]
    ops = AuthenticatedClient(base_url=base_url, token=ops_token)
    merchant = _expect(
        await create_merchant.asyncio(client=ops, body=MerchantIn(id=f"m-{run}", name="书店")),
        MerchantOut,
    )
    now = datetime.now(UTC)
    campaign = CampaignIn(
        id=f"c-{run}", name="地铁半价券", name_en="Metro half-price coupons", quota=5,
        face_value_fen=300, per_worker_limit=1, claim_opens_at=now - timedelta(minutes=1),
        claim_closes_at=now + timedelta(days=1), valid_until=now + timedelta(days=30),
        eligible_categories=[WorkerCategory.DELIVERY_RIDER],
        discount=PercentOffTerms(kind="percent_off", percent=50, cap_fen=300),
    )  # fmt: skip
    _expect(await create_campaign.asyncio(client=ops, body=campaign), CampaignOut)
    enrolled = await enrol_merchant.asyncio(
        campaign.id, client=ops, body=EnrolIn(merchant_id=merchant.id)
    )
    assert enrolled is not None and not isinstance(enrolled, Problem), enrolled
    worker = WorkerIn(id=f"w-{run}", category=WorkerCategory.DELIVERY_RIDER)
    _expect(await create_worker.asyncio(client=ops, body=worker), WorkerOut)
    token = _expect(await create_worker_token.asyncio(worker.id, client=ops), TokenOut)

    rider = AuthenticatedClient(base_url=base_url, token=token.token)
    claim = _expect(
        await create_claim.asyncio(campaign.id, client=rider, body=ClaimIn(), idempotency_key="k1"),
        ClaimOut,
    )
    code = short = ""
    for _ in range(300):
        status = _expect(await get_claim.asyncio(claim.claim_id, client=rider), ClaimStatusOut)
        if status.status == ClaimStatusOutStatus.ISSUED and status.voucher:
            code, short = status.voucher.code, status.voucher.short_code
            break
        await asyncio.sleep(0.2)
    assert code, "the voucher was not issued within a minute"

    till = AuthenticatedClient(base_url=base_url, token=merchant.api_key)
    verified = _expect(
        await verify_code.asyncio(client=till, body=VerifyIn(code=code, order_fen=401)), VerifyOut
    )
    fare = RedemptionIn(code=short, order_fen=401)  # typed: the camera failed
    redeemed = _expect(
        await redeem_code.asyncio(client=till, body=fare, idempotency_key="p1"), RedemptionOut
    )
    again = _problem(await redeem_code.asyncio(client=till, body=fare, idempotency_key="p2"))
    return FlowResult(code, short, verified, redeemed, again)
