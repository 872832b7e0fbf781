"""Operations: campaigns and their lifecycle, cap groups and partner pools."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Protocol

from engine.domain.audit import Actor, AuditEntry
from engine.domain.campaigns import (
    TRANSITIONS,
    Campaign,
    Status,
    as_dict,
    check_campaign,
    same_definition,
)
from engine.domain.stock import Counters, remaining
from engine.errors import Conflict, NotFound, ValidationFailed
from engine.usecases.ports import (
    AuditLog,
    CampaignRecords,
    Clock,
    LiveDefinitions,
    LiveFigures,
    MerchantRecords,
)
from engine.usecases.read_caches import Campaigns


class Records(CampaignRecords, MerchantRecords, AuditLog, Protocol):
    """Operations read and write campaigns and check the merchants they enrol;
    every change audited in its own transaction."""


class Admin:
    def __init__(
        self,
        *,
        live: LiveDefinitions,
        figures: LiveFigures,
        records: Records,
        campaigns: Campaigns,
        clock: Clock,
    ) -> None:
        self.live, self.figures, self.db = live, figures, records
        self.campaigns, self.clock = campaigns, clock

    async def _audit(self, by: Actor, action: str, target: str, **change: Any) -> None:
        await self.db.insert_audit(AuditEntry.of(by, action, target, **change))

    async def create_campaign(self, campaign: Campaign, by: Actor) -> tuple[Campaign, bool]:
        """Create, or accept an identical repeat; return (campaign, created now)."""
        await self._check_references(campaign)
        async with self.db.transaction():
            number = await self.db.insert_campaign(campaign)
            stored = await self._campaign(campaign.id)
            if number is None and not same_definition(stored, campaign):
                raise Conflict(f"campaign {campaign.id} already exists with another definition")
            if number is not None:
                target = f"campaign:{campaign.id}"
                await self._audit(by, "campaign.create", target, after=as_dict(stored))
        # Also on a repeat: it heals a create whose Redis step failed after the commit.
        await self.live.init_campaign(stored)
        return stored, number is not None

    async def update_campaign(
        self, campaign_id: str, changed: Campaign, version: int, by: Actor
    ) -> Campaign:
        """Store a new version. Vouchers already issued keep what they were issued with."""
        current = await self._campaign(campaign_id)
        if current.lottery is not None or current.partner_pool:
            raise ValidationFailed("lottery and partner-pool campaigns cannot be changed")
        await self._check_references(changed)
        if changed.quota < current.quota and changed.waves == current.waves:
            counters = await self.figures.counters(campaign_id) or Counters()
            if changed.quota < counters.admitted:
                raise ValidationFailed("quota cannot go below what is already admitted")
        async with self.db.transaction():
            if await self.db.update_campaign(changed, version) is None:
                raise Conflict(
                    "the campaign changed meanwhile; read it again and retry",
                    version=current.version,
                )
            stored = await self._campaign(campaign_id)
            await self._audit(
                by,
                "campaign.update",
                f"campaign:{campaign_id}",
                before=as_dict(current),
                after=as_dict(stored),
            )
        await self.live.init_campaign(stored)
        self.campaigns.forget(campaign_id)
        return stored

    async def set_status(self, campaign_id: str, status: Status, by: Actor) -> Campaign:
        current = await self._campaign(campaign_id)
        if status == current.status:
            return current
        if status not in TRANSITIONS[current.status]:
            raise Conflict(f"a {current.status} campaign cannot become {status}")
        async with self.db.transaction():
            old = current.status.value
            if not await self.db.set_campaign_status(campaign_id, status.value, old):
                raise Conflict("the campaign's status changed meanwhile; retry")
            await self._audit(
                by,
                "campaign.status",
                f"campaign:{campaign_id}",
                before={"status": old},
                after={"status": status.value},
            )
        # Redis is what the admission script reads: the change applies to the next claim.
        await self.live.set_status(campaign_id, status.value)
        self.campaigns.forget(campaign_id)
        return replace(current, status=status)

    async def campaign_view(self, campaign_id: str) -> dict[str, Any]:
        return await self.view_of(await self._campaign(campaign_id))

    async def definition(self, campaign_id: str) -> dict[str, Any]:
        """The current definition as the API shows it (without live counters)."""
        return as_dict(await self._campaign(campaign_id))

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
        budget = campaign.deciding_budget_fen
        if budget is not None:
            view["budget_left_fen"] = budget - c.spent
        if campaign.partner_pool:
            view["pool_left"] = await self.figures.pool_size(campaign_id)
        return view

    async def create_cap_group(self, group_id: str, period: str, max_fen: int, by: Actor) -> bool:
        """True when created now; an identical repeat changes nothing."""
        async with self.db.transaction():
            if await self.db.insert_cap_group(group_id, period, max_fen):
                group = {"id": group_id, "period": period, "max_fen": max_fen}
                await self._audit(by, "cap_group.create", f"cap_group:{group_id}", after=group)
                return True
        existing = await self.db.get_cap_group(group_id)
        if existing is None or (existing.period.value, existing.max_fen) != (period, max_fen):
            raise Conflict(f"cap group {group_id} already exists with other terms")
        return False

    async def import_partner_codes(
        self, campaign_id: str, codes: Sequence[str], by: Actor
    ) -> dict[str, int]:
        campaign = await self._campaign(campaign_id)
        if not campaign.partner_pool:
            raise ValidationFailed("this campaign does not hand out partner codes")
        # Only codes new to PostgreSQL join the pool: a code handed out is never re-added.
        async with self.db.transaction():
            new = await self.db.insert_partner_codes(campaign_id, list(dict.fromkeys(codes)))
            counts = {"received": len(codes), "added": len(new)}
            await self._audit(by, "campaign.pool_import", f"campaign:{campaign_id}", after=counts)
        await self.live.add_to_pool(campaign_id, new)
        return {
            "received": len(codes),
            "added": len(new),
            "pool_left": await self.figures.pool_size(campaign_id),
        }

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
