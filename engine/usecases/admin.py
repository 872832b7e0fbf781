"""Operations: campaigns and their lifecycle, cap groups, partner pools, merchants,
workers and worker tokens."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from engine.domain.campaigns import (
    TRANSITIONS,
    Campaign,
    Status,
    as_dict,
    check_campaign,
    same_definition,
)
from engine.domain.stock import Counters, remaining
from engine.domain.tokens import mint_worker_token
from engine.errors import Conflict, NotFound, ValidationFailed
from engine.usecases.ports import (
    CampaignRecords,
    Clock,
    LiveDefinitions,
    LiveFigures,
    MerchantRecords,
    WorkerRecords,
)
from engine.usecases.read_caches import Campaigns


class Records(CampaignRecords, MerchantRecords, WorkerRecords, Protocol):
    """Operations read and write campaigns, check merchants and mint tokens for workers."""


# What a new version may change; identity, numbering and the claim window's start stay.
MUTABLE = frozenset(
    {
        "name",
        "quota",
        "face_value_fen",
        "per_worker_limit",
        "claim_closes_at",
        "valid_until",
        "eligible_categories",
        "merchants",
        "budget_fen",
        "face_value_min_fen",
        "face_value_max_fen",
        "reversal_window_s",
        "period_limit",
        "rules",
        "waves",
        "rollover",
    }
)


class Admin:
    def __init__(
        self,
        *,
        live: LiveDefinitions,
        figures: LiveFigures,
        records: Records,
        campaigns: Campaigns,
        clock: Clock,
        auth_key: Ed25519PrivateKey,
        token_ttl_s: int,
    ) -> None:
        self.live, self.figures, self.db = live, figures, records
        self.campaigns, self.clock = campaigns, clock
        self.auth_key, self.token_ttl_s = auth_key, token_ttl_s

    async def create_campaign(self, campaign: Campaign) -> tuple[Campaign, bool]:
        """Create, or accept an identical repeat; return (campaign, created now)."""
        await self._check_references(campaign)
        number = await self.db.insert_campaign(campaign)
        stored = await self.db.get_campaign(campaign.id)
        assert stored is not None
        if number is None and not same_definition(stored, campaign):
            raise Conflict(f"campaign {campaign.id} already exists with another definition")
        # Also on a repeat: it heals a create whose Redis step failed after the commit.
        await self.live.init_campaign(stored)
        return stored, number is not None

    async def update_campaign(self, campaign_id: str, changed: Campaign, version: int) -> Campaign:
        """Store a new version. Vouchers already issued keep what they were issued with."""
        current = await self._campaign(campaign_id)
        if current.lottery is not None or current.partner_pool:
            raise ValidationFailed("lottery and partner-pool campaigns cannot be changed")
        await self._check_references(changed)
        if changed.quota < current.quota and changed.waves == current.waves:
            counters = await self.figures.counters(campaign_id) or Counters()
            if changed.quota < counters.admitted:
                raise ValidationFailed("quota cannot go below what is already admitted")
        new_version = await self.db.update_campaign(changed, version)
        if new_version is None:
            raise Conflict(
                "the campaign changed meanwhile; read it again and retry", version=current.version
            )
        stored = await self._campaign(campaign_id)
        await self.live.init_campaign(stored)
        self.campaigns.forget(campaign_id)
        return stored

    async def set_status(self, campaign_id: str, status: Status) -> Campaign:
        current = await self._campaign(campaign_id)
        if status == current.status:
            return current
        if status not in TRANSITIONS[current.status]:
            raise Conflict(f"a {current.status} campaign cannot become {status}")
        if not await self.db.set_campaign_status(campaign_id, status.value, current.status.value):
            raise Conflict("the campaign's status changed meanwhile; retry")
        # Redis is what the admission script reads: the change applies to the next claim.
        await self.live.set_status(campaign_id, status.value)
        self.campaigns.forget(campaign_id)
        return replace(current, status=status)

    async def campaign_view(self, campaign_id: str) -> dict[str, Any]:
        return await self.view_of(await self._campaign(campaign_id))

    async def view_of(self, campaign: Campaign) -> dict[str, Any]:
        """A campaign's definition with its live counters."""
        campaign_id = campaign.id
        c = await self.figures.counters(campaign_id) or Counters()
        view = as_dict(campaign) | {
            "remaining": remaining(campaign.quota, c.admitted, c.reclaimed, campaign.rollover),
            "admitted": c.admitted,
            "issued": c.issued,
            "redeemed": c.redeemed,
            "expired": c.expired,
            "reclaimed": c.reclaimed,
            "budget_used_fen": c.spent,
            "redeemed_fen": c.redeemed_fen,
            "reversed_fen": c.reversed_fen,
        }
        if campaign.budget_fen:
            view["budget_left_fen"] = campaign.budget_fen - c.spent
        if campaign.partner_pool:
            view["pool_left"] = await self.figures.pool_size(campaign_id)
        return view

    async def create_cap_group(self, group_id: str, period: str, max_fen: int) -> bool:
        if await self.db.insert_cap_group(group_id, period, max_fen):
            return True
        existing = await self.db.get_cap_group(group_id)
        if existing is None or (existing["period"], existing["max_fen"]) != (period, max_fen):
            raise Conflict(f"cap group {group_id} already exists with other terms")
        return False

    async def import_partner_codes(self, campaign_id: str, codes: Sequence[str]) -> dict[str, int]:
        campaign = await self._campaign(campaign_id)
        if not campaign.partner_pool:
            raise ValidationFailed("this campaign does not hand out partner codes")
        # Only codes new to PostgreSQL join the pool: a code handed out is never re-added.
        new = await self.db.insert_partner_codes(campaign_id, list(dict.fromkeys(codes)))
        await self.live.add_to_pool(campaign_id, new)
        return {
            "received": len(codes),
            "added": len(new),
            "pool_left": await self.figures.pool_size(campaign_id),
        }

    async def mint_token(self, worker_id: str) -> tuple[str, int]:
        worker = await self.db.get_worker(worker_id)
        if worker is None:
            raise NotFound(f"No worker {worker_id}")
        now = int(time.time())
        token = mint_worker_token(
            self.auth_key, worker_id, worker["category"], now, self.token_ttl_s
        )
        return token, now + self.token_ttl_s

    async def _campaign(self, campaign_id: str) -> Campaign:
        campaign = await self.db.get_campaign(campaign_id)
        if campaign is None:
            raise NotFound(f"No campaign {campaign_id}")
        return campaign

    async def _check_references(self, campaign: Campaign) -> None:
        check_campaign(campaign)
        missing = set(campaign.merchants) - await self.db.existing_merchants(campaign.merchants)
        if missing:
            raise ValidationFailed(f"unknown merchants: {', '.join(sorted(missing))}")
        if campaign.cap_group and await self.db.get_cap_group(campaign.cap_group) is None:
            raise ValidationFailed(f"unknown cap group: {campaign.cap_group}")
