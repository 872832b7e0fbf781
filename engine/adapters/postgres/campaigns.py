"""Campaign definitions, their numbers and statuses, enrolments, cap groups and partner codes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import asyncpg

from engine.adapters.failures import translated
from engine.adapters.postgres.base import Queries
from engine.domain.campaigns import (
    Campaign,
    Status,
    as_dict,
    options,
    with_options,
)
from engine.domain.cap_groups import CapGroup
from engine.domain.periods import Period
from engine.domain.profiles import WorkerCategory


@translated
class CampaignRecords(Queries):
    async def insert_campaign(self, campaign: Campaign) -> int | None:
        """Insert and enrol; None when a campaign with this id already exists."""
        async with self.transaction() as conn:
            number = await conn.fetchval(
                self.q["insert_campaign"],
                *_campaign_columns(campaign),
                campaign.status.value,
                options(campaign),
            )
            if number is not None:
                await conn.execute(self.q["enrol_merchants"], campaign.id, list(campaign.merchants))
                await conn.execute(
                    self.q["insert_campaign_version"], campaign.id, 1, as_dict(campaign)
                )
            return number

    async def update_campaign(self, campaign: Campaign, expected_version: int) -> int | None:
        """Store a new version; None when someone else changed the campaign meanwhile."""
        async with self.transaction() as conn:
            version = await conn.fetchval(
                self.q["update_campaign"],
                *_campaign_columns(campaign),
                options(campaign),
                expected_version,
            )
            if version is not None:
                await conn.execute(
                    self.q["keep_only_merchants"], campaign.id, list(campaign.merchants)
                )
                await conn.execute(self.q["enrol_merchants"], campaign.id, list(campaign.merchants))
                await conn.execute(
                    self.q["insert_campaign_version"],
                    campaign.id,
                    version,
                    as_dict(replace(campaign, version=version)),
                )
            return version

    async def set_campaign_status(self, campaign_id: str, new: str, old: str) -> bool:
        return (
            await self.db().fetchval(self.q["set_campaign_status"], campaign_id, new, old)
            is not None
        )

    async def valid_until_of_version(self, campaign_id: str, version: int) -> datetime | None:
        text = await self.db().fetchval(self.q["valid_until_of_version"], campaign_id, version)
        return None if text is None else datetime.fromisoformat(text)

    async def get_campaign(self, campaign_id: str) -> Campaign | None:
        row = await self.db().fetchrow(self.q["get_campaign"], campaign_id)
        if row is None:
            return None
        base = Campaign(
            id=row["id"],
            name=row["name"],
            quota=row["quota"],
            face_value_fen=row["face_value_fen"],
            per_worker_limit=row["per_worker_limit"],
            claim_opens_at=row["claim_opens_at"],
            claim_closes_at=row["claim_closes_at"],
            valid_until=row["valid_until"],
            eligible_categories=tuple(WorkerCategory(x) for x in row["eligible_categories"]),
            merchants=tuple(row["merchants"]),
            number=row["number"],
            status=Status(row["status"]),
            version=row["version"],
        )
        return with_options(base, row["options"])

    async def all_campaign_ids(self) -> list[str]:
        return [r["id"] for r in await self.db().fetch(self.q["all_campaign_ids"])]

    async def campaigns_with_live_vouchers(self) -> list[str]:
        return [r["id"] for r in await self.db().fetch(self.q["campaigns_with_live_vouchers"])]

    async def live_campaigns(self) -> list[str]:
        return [r["id"] for r in await self.db().fetch(self.q["live_campaigns"])]

    async def campaign_id_by_number(self, number: int) -> str | None:
        return await self.db().fetchval(self.q["campaign_by_number"], number)

    async def insert_cap_group(self, group_id: str, period: str, max_fen: int) -> bool:
        return (
            await self.db().fetchval(self.q["insert_cap_group"], group_id, period, max_fen)
            is not None
        )

    async def cap_groups(self) -> list[CapGroup]:
        return [_cap_group(r) for r in await self.db().fetch(self.q["cap_groups"])]

    async def get_cap_group(self, group_id: str) -> CapGroup | None:
        row = await self.db().fetchrow(self.q["get_cap_group"], group_id)
        return None if row is None else _cap_group(row)

    async def insert_partner_codes(self, campaign_id: str, codes: Sequence[str]) -> list[str]:
        rows = await self.db().fetch(self.q["insert_partner_codes"], campaign_id, list(codes))
        return [r["code"] for r in rows]

    async def enrol_merchant(self, campaign_id: str, merchant_id: str) -> None:
        await self.db().execute(self.q["enrol_merchants"], campaign_id, [merchant_id])

    async def unenrol_merchant(self, campaign_id: str, merchant_id: str) -> bool:
        return (
            await self.db().fetchval(self.q["unenrol_merchant"], campaign_id, merchant_id)
            is not None
        )


def _cap_group(row: asyncpg.Record) -> CapGroup:
    return CapGroup(row["id"], Period(row["period"]), row["max_fen"])


def _campaign_columns(campaign: Campaign) -> tuple[Any, ...]:
    return (
        campaign.id,
        campaign.name,
        campaign.quota,
        campaign.face_value_fen,
        campaign.per_worker_limit,
        campaign.claim_opens_at,
        campaign.claim_closes_at,
        campaign.valid_until,
        list(campaign.eligible_categories),
    )
