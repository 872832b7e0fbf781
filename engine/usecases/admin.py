"""Operations: campaigns, merchants, workers and worker tokens."""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from dataclasses import asdict

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from engine.adapters.postgres import Database
from engine.adapters.redis_store import RedisStore
from engine.domain.campaigns import Campaign, check_campaign, same_definition
from engine.domain.tokens import mint_worker_token
from engine.errors import Conflict, NotFound, ValidationFailed


class Admin:
    def __init__(
        self, store: RedisStore, db: Database, auth_key: Ed25519PrivateKey, token_ttl_s: int
    ) -> None:
        self.store, self.db, self.auth_key, self.token_ttl_s = store, db, auth_key, token_ttl_s

    async def create_campaign(self, campaign: Campaign) -> tuple[Campaign, bool]:
        """Create, or accept an identical repeat; return (campaign, created now)."""
        check_campaign(campaign)
        missing = set(campaign.merchants) - await self.db.existing_merchants(campaign.merchants)
        if missing:
            raise ValidationFailed(f"unknown merchants: {', '.join(sorted(missing))}")
        number = await self.db.insert_campaign(campaign)
        stored = await self.db.get_campaign(campaign.id)
        assert stored is not None
        if number is None and not same_definition(stored, campaign):
            raise Conflict(f"campaign {campaign.id} already exists with another definition")
        # Also on a repeat: it heals a create whose Redis step failed after the commit.
        await self.store.init_campaign(stored)
        return stored, number is not None

    async def campaign_view(self, campaign_id: str) -> dict:
        campaign = await self.db.get_campaign(campaign_id)
        if campaign is None:
            raise NotFound(f"No campaign {campaign_id}")
        counters = await self.store.campaign_counters(campaign_id)
        return campaign_dict(campaign) | {
            "remaining": counters.get("remaining", 0),
            "admitted": counters.get("admitted", 0),
            "issued": counters.get("issued", 0),
            "redeemed": counters.get("redeemed", 0),
        }

    async def create_merchant(self, merchant_id: str, name: str) -> str:
        """Return the merchant's API key; only its hash is stored, so it is shown once."""
        api_key = f"nxm_{secrets.token_urlsafe(32)}"
        if not await self.db.insert_merchant(merchant_id, name, api_key):
            raise Conflict(f"merchant {merchant_id} already exists")
        return api_key

    async def register_worker(self, worker_id: str, category: str, profile: dict) -> bool:
        return await self.db.upsert_worker(worker_id, category, profile)

    async def register_workers(self, rows: Sequence[tuple[str, str, dict]]) -> int:
        await self.db.upsert_workers(rows)
        return len(rows)

    async def mint_token(self, worker_id: str) -> tuple[str, int]:
        worker = await self.db.get_worker(worker_id)
        if worker is None:
            raise NotFound(f"No worker {worker_id}")
        now = int(time.time())
        token = mint_worker_token(
            self.auth_key, worker_id, worker["category"], now, self.token_ttl_s
        )
        return token, now + self.token_ttl_s


def campaign_dict(c: Campaign) -> dict:
    d = asdict(c)
    for field in ("claim_opens_at", "claim_closes_at", "valid_until"):
        d[field] = d[field].isoformat()
    d["eligible_categories"] = [str(x) for x in c.eligible_categories]
    d["merchants"] = list(c.merchants)
    d["budget_fen"] = c.budget_fen
    return d
