"""What a worker is offered: may they claim a programme now, and if not, why not.

The claim's own answer decides; this is what the worker page shows beforehand, worked
out from the same facts the admission reads (definition, profile, stock, their vouchers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.domain.campaigns import Campaign, Status
from engine.domain.profiles import WorkerProfile
from engine.domain.rules import failed_rule


@dataclass(frozen=True, slots=True)
class Offer:
    """`reason`: why no claim now, as the problem type the claim would answer (or
    'not-open-yet' and 'paused', which a claim answers as claim-window-closed)."""

    claimable: bool
    reason: str | None = None
    failed_rule: dict[str, Any] | None = None


def offer_for(
    campaign: Campaign,
    profile: WorkerProfile,
    now: datetime,
    available_now: int,
    held: int,
) -> Offer:
    """The first reason that waiting would not cure comes first: a truck driver is told
    the fuel programme is not for them, not that it opens at ten. (A claim's answer may
    name another of the reasons: the admission checks the window before the category.)"""
    if campaign.status is Status.PAUSED:
        return Offer(False, "paused")
    if campaign.status not in (Status.OPEN, Status.SCHEDULED):
        return Offer(False, "claim-window-closed")
    if profile.facts.get("category") not in campaign.eligible_categories:
        categories = {"field": "category", "op": "in", "value": list(campaign.eligible_categories)}
        return Offer(False, "not-eligible", categories)
    unmet = failed_rule(campaign.rules, profile) if campaign.rules else None
    if unmet is not None:
        return Offer(False, "not-eligible", unmet.as_dict())
    if campaign.lottery is not None:
        return Offer(False, "registration-required")
    if now < campaign.claim_opens_at:
        return Offer(False, "not-open-yet")
    if now >= campaign.claim_closes_at:
        return Offer(False, "claim-window-closed")
    if held >= campaign.per_worker_limit:
        return Offer(False, "limit-reached")
    if available_now <= 0:
        return Offer(False, "sold-out")
    return Offer(True)
