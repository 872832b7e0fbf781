"""What the decision scripts read of a campaign, a worker and a voucher's lifecycle:
definitions, enrolments, partner pools, cached profiles, revocation and expiry."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from engine.adapters.failures import translated
from engine.adapters.redis import keys, replies
from engine.adapters.redis.connection import Client, Run, Scripts, fields, texts
from engine.domain.campaigns import Campaign
from engine.domain.profiles import WorkerProfile, from_record, to_record


def definition_fields(campaign: Campaign) -> dict[str, str | int]:
    """What the admission script needs of a campaign's definition."""
    return {
        "status": campaign.status.value,
        "opens_ms": _ms(campaign.claim_opens_at),
        "closes_ms": _ms(campaign.claim_closes_at),
        "quota": campaign.quota,
        "per_worker_limit": campaign.per_worker_limit,
        "period_limit": campaign.period_limit.limit if campaign.period_limit else 0,
        "face": campaign.face_value_fen,
        "valid_until": int(campaign.valid_until.timestamp()),
        "number": campaign.number,
        "version": campaign.version,
        "budget": campaign.deciding_budget_fen or 0,
        "waves": ",".join(f"{_ms(w.at)}:{w.quantity}" for w in campaign.waves),
        "rollover": int(campaign.rollover),
        "pool": int(campaign.partner_pool),
        "lottery": int(campaign.lottery is not None),
    }


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@translated
class RedisDefinitions:
    def __init__(self, client: Client, scripts: Scripts) -> None:
        self.client, self.scripts = client, scripts

    async def init_campaign(self, campaign: Campaign) -> None:
        """Write the definition (every call) and the counters (first call only)."""
        pairs = [x for item in definition_fields(campaign).items() for x in item]
        args = [
            len(pairs) // 2,
            *pairs,
            len(campaign.eligible_categories),
            *campaign.eligible_categories,
            *campaign.merchants,
        ]
        ks = [
            keys.campaign(campaign.id),
            keys.eligible_categories(campaign.id),
            keys.merchants(campaign.id),
        ]
        await self.scripts.run("init_campaign", ks, args)

    async def set_status(self, campaign_id: str, status: str) -> None:
        await self.client.hset(keys.campaign(campaign_id), "status", status)

    async def enrol(self, campaign_id: str, merchant_id: str) -> None:
        await self.client.sadd(keys.merchants(campaign_id), merchant_id)

    async def unenrol(self, campaign_id: str, merchant_id: str) -> None:
        await self.client.srem(keys.merchants(campaign_id), merchant_id)

    async def add_to_pool(self, campaign_id: str, codes: Sequence[str]) -> None:
        if codes:
            await self.client.sadd(keys.partner_pool(campaign_id), *codes)

    async def cache_profiles(self, profiles: Sequence[WorkerProfile]) -> None:
        async with self.client.pipeline(transaction=False) as pipe:
            for profile in profiles:
                key = keys.worker_profile(profile.worker_id)
                pipe.delete(key)
                pipe.hset(key, mapping=fields(to_record(profile)))
            await pipe.execute()

    async def cached_profile(self, worker_id: str) -> WorkerProfile | None:
        record = texts(await self.client.hgetall(keys.worker_profile(worker_id)))
        return from_record(worker_id, record) if record else None

    async def revoke(self, campaign_id: str, serial: int, reason: str) -> None:
        """Stop a voucher that still has value; Conflict when it has none to stop."""
        ks = [keys.voucher(campaign_id, serial), keys.campaign(campaign_id)]
        replies.revocation(await self.scripts.run("revoke", ks, [reason]))

    async def expire_many(self, vouchers: Sequence[tuple[str, int]]) -> list[int]:
        """Expire (campaign id, serial) vouchers; 1 where this call reclaimed the stock."""
        runs: list[Run] = [([keys.voucher(c, s), keys.campaign(c)], []) for c, s in vouchers]
        return [int(r) for r in await self.scripts.run_many("expire", runs)]
