"""Read a campaign's Redis state for comparison, and write a rebuilt one after a loss."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.adapters.failures import translated
from engine.adapters.redis import keys
from engine.adapters.redis.connection import Client, fields, text, texts
from engine.adapters.redis.definitions import definition_fields
from engine.domain.campaigns import Campaign
from engine.domain.cap_rebuild import CapState
from engine.domain.rebuild import CampaignState

_COUNTERS = (
    "admitted", "issued", "spent", "redeemed", "redeemed_fen", "reversed_fen", "expired",
    "reclaimed", "revoked", "next_serial",
)  # fmt: skip
_CHUNK = 2000


@translated
class RedisRebuild:
    def __init__(self, client: Client) -> None:
        self.client = client

    async def has_state(self, campaign_id: str) -> bool:
        """A campaign is live in Redis once its definition (status) is there: written last."""
        return await self.client.hget(keys.campaign(campaign_id), "status") is not None

    async def read_state(self, campaign_id: str, expected: CampaignState) -> CampaignState:
        """Redis's view of everything `expected` names (records it lacks come back empty)."""
        client = self.client
        actual = CampaignState(period=expected.period)
        raw = texts(await client.hgetall(keys.campaign(campaign_id)))
        actual.counters = {
            name: int(raw.get(name, 0))
            for name in (*_COUNTERS, *(n for n in expected.counters if n.startswith("wave_")))
        }
        actual.per_worker = {
            k: int(v) for k, v in texts(await client.hgetall(keys.per_worker(campaign_id))).items()
        }
        if expected.period != "none":
            period_key = keys.per_period(campaign_id, expected.period)
            actual.per_period = {
                k: int(v) for k, v in texts(await client.hgetall(period_key)).items()
            }
        key_of: dict[str, Callable[[Any], str]] = {
            "claims": lambda i: keys.claim(campaign_id, i),
            "vouchers": lambda i: keys.voucher(campaign_id, i),
            "redemptions": lambda i: keys.redemption(campaign_id, i),
            "reversals": lambda i: keys.reversal(campaign_id, i),
        }
        for kind, key in key_of.items():
            ids = list(getattr(expected, kind))
            found = getattr(actual, kind)
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                async with client.pipeline(transaction=False) as pipe:
                    for i in chunk:
                        pipe.hgetall(key(i))
                    for i, record in zip(chunk, await pipe.execute(), strict=True):
                        found[i] = texts(record)
        if expected.pool is not None:
            actual.pool = {text(c) for c in await client.smembers(keys.partner_pool(campaign_id))}
        return actual

    async def write_state(self, campaign: Campaign, state: CampaignState) -> None:
        """Records first, then counters and definition in one transaction: the campaign answers
        again only when everything it needs is back."""
        client = self.client
        cid = campaign.id
        records = (
            [(keys.claim(cid, i), r) for i, r in state.claims.items()]
            + [(keys.voucher(cid, s), r) for s, r in state.vouchers.items()]
            + [(keys.redemption(cid, i), r) for i, r in state.redemptions.items()]
            + [(keys.reversal(cid, i), r) for i, r in state.reversals.items()]
        )
        for start in range(0, len(records), _CHUNK):
            async with client.pipeline(transaction=False) as pipe:
                for key, record in records[start : start + _CHUNK]:
                    pipe.delete(key)
                    pipe.hset(key, mapping=fields(record))
                await pipe.execute()
        async with client.pipeline(transaction=True) as pipe:
            pipe.delete(
                keys.per_worker(cid), keys.per_period(cid, state.period), keys.unsettled(cid)
            )
            if state.per_worker:
                pipe.hset(keys.per_worker(cid), mapping=fields(state.per_worker))
            if state.per_period:
                pipe.hset(keys.per_period(cid, state.period), mapping=fields(state.per_period))
            if state.pool is not None:
                pipe.delete(keys.partner_pool(cid))
                if state.pool:
                    pipe.sadd(keys.partner_pool(cid), *state.pool)
            pipe.delete(keys.eligible_categories(cid))
            pipe.sadd(
                keys.eligible_categories(cid), *(c.value for c in campaign.eligible_categories)
            )
            if campaign.merchants:
                pipe.sadd(keys.merchants(cid), *campaign.merchants)
            pipe.delete(keys.campaign(cid))
            pipe.hset(
                keys.campaign(cid),
                mapping=fields({**state.counters, **definition_fields(campaign)}),
            )
            await pipe.execute()

    async def read_cap(self, group_id: str, expected: CapState) -> CapState:
        """Redis's view of a cap group in the expected period, and of the expected claims."""
        client = self.client
        raw = texts(await client.hgetall(keys.cap_spent(group_id, expected.period)))
        actual = CapState(expected.period, {w: int(v) for w, v in raw.items()})
        claim_ids = list(expected.reservations)
        for start in range(0, len(claim_ids), _CHUNK):
            chunk = claim_ids[start : start + _CHUNK]
            async with client.pipeline(transaction=False) as pipe:
                for claim_id in chunk:
                    pipe.hgetall(keys.cap_reservation(group_id, claim_id))
                for claim_id, record in zip(chunk, await pipe.execute(), strict=True):
                    actual.reservations[claim_id] = texts(record)
        return actual

    async def write_cap(self, group_id: str, state: CapState, ttl_s: int) -> None:
        """Reservations first, then the spending in one step; both expire with the period."""
        client = self.client
        items = list(state.reservations.items())
        for start in range(0, len(items), _CHUNK):
            async with client.pipeline(transaction=False) as pipe:
                for claim_id, record in items[start : start + _CHUNK]:
                    key = keys.cap_reservation(group_id, claim_id)
                    pipe.delete(key)
                    pipe.hset(key, mapping=fields(record))
                    pipe.expire(key, ttl_s)
                await pipe.execute()
        spent = keys.cap_spent(group_id, state.period)
        async with client.pipeline(transaction=True) as pipe:
            pipe.delete(spent)
            if state.spent:
                pipe.hset(spent, mapping=fields(state.spent))
                pipe.expire(spent, ttl_s)
            await pipe.execute()
