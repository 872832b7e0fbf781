"""Read a campaign's Redis state for comparison, and write a rebuilt one after a loss."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

from engine.adapters.failures import translated
from engine.adapters.redis import keys, records
from engine.adapters.redis.connection import Client, fields, text, texts
from engine.adapters.redis.definitions import definition_fields
from engine.domain.campaigns import Campaign
from engine.domain.cap_rebuild import CapState
from engine.domain.rebuild import CampaignCounters, CampaignState

_CHUNK = 2000
_Id = TypeVar("_Id", bound=Hashable)
_Record = TypeVar("_Record")
_WAVE = "wave_admitted:"


def counter_fields(counters: CampaignCounters) -> dict[str, int]:
    return counters.totals() | {f"{_WAVE}{wave}": n for wave, n in counters.wave_admitted.items()}


def campaign_counters(raw: dict[str, str], waves: Sequence[int]) -> CampaignCounters:
    totals = {name: int(raw.get(name, 0)) for name in CampaignCounters().totals()}
    wave_admitted = {wave: int(raw.get(f"{_WAVE}{wave}", 0)) for wave in waves}
    return CampaignCounters(**totals, wave_admitted=wave_admitted)


@translated
class RedisRebuild:
    def __init__(self, client: Client) -> None:
        self.client = client

    async def has_state(self, campaign_id: str) -> bool:
        """A campaign is live in Redis once its definition (status) is there: written last."""
        return await self.client.hget(keys.campaign(campaign_id), "status") is not None

    async def read_state(self, campaign_id: str, expected: CampaignState) -> CampaignState:
        """Redis's view of everything `expected` names (records it lacks come back missing)."""
        client = self.client
        actual = CampaignState(period=expected.period)
        raw = texts(await client.hgetall(keys.campaign(campaign_id)))
        actual.counters = campaign_counters(raw, list(expected.counters.wave_admitted))
        actual.per_worker = {
            k: int(v) for k, v in texts(await client.hgetall(keys.per_worker(campaign_id))).items()
        }
        if expected.period != "none":
            period_key = keys.per_period(campaign_id, expected.period)
            actual.per_period = {
                k: int(v) for k, v in texts(await client.hgetall(period_key)).items()
            }
        cid = campaign_id
        actual.claims = await self._read(
            list(expected.claims), lambda i: keys.claim(cid, i), records.claim_record
        )
        actual.redemptions = await self._read(
            list(expected.redemptions), lambda i: keys.redemption(cid, i), records.redemption_record
        )
        actual.reversals = await self._read(
            list(expected.reversals), lambda i: keys.reversal(cid, i), records.reversal_record
        )
        vouchers = await self._read(
            list(expected.vouchers), lambda s: keys.voucher(cid, s), records.voucher_state
        )
        actual.vouchers = {serial: v for serial, v in vouchers.items() if v is not None}
        if expected.pool is not None:
            actual.pool = {text(c) for c in await client.smembers(keys.partner_pool(campaign_id))}
        if expected.stations:
            raw_stations = texts(await client.hgetall(keys.stations(campaign_id)))
            actual.stations = records.station_stocks(raw_stations)
        return actual

    async def _read(
        self,
        ids: list[_Id],
        key: Callable[[_Id], str],
        decode: Callable[[dict[str, str]], _Record],
    ) -> dict[_Id, _Record]:
        found: dict[_Id, _Record] = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            async with self.client.pipeline(transaction=False) as pipe:
                for i in chunk:
                    pipe.hgetall(key(i))
                for i, record in zip(chunk, await pipe.execute(), strict=True):
                    found[i] = decode(texts(record))
        return found

    async def write_state(self, campaign: Campaign, state: CampaignState) -> None:
        """Records first, then counters and definition in one transaction: the campaign answers
        again only when everything it needs is back."""
        client = self.client
        cid = campaign.id
        written: list[tuple[str, dict[str, str]]] = (
            [(keys.claim(cid, i), records.claim_fields(r)) for i, r in state.claims.items()]
            + [(keys.voucher(cid, s), records.voucher_fields(v)) for s, v in state.vouchers.items()]
            + [
                (keys.redemption(cid, i), records.redemption_fields(r))
                for i, r in state.redemptions.items()
            ]
            + [
                (keys.reversal(cid, i), records.reversal_fields(r))
                for i, r in state.reversals.items()
            ]
        )
        for start in range(0, len(written), _CHUNK):
            async with client.pipeline(transaction=False) as pipe:
                for key, record in written[start : start + _CHUNK]:
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
            pipe.delete(keys.stations(cid), keys.station_moves(cid))
            if state.stations:
                pipe.hset(
                    keys.stations(cid), mapping=fields(records.station_fields(state.stations))
                )
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
                mapping=fields({**counter_fields(state.counters), **definition_fields(campaign)}),
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
                    found = records.cap_reservation(group_id, claim_id, texts(record))
                    if found is not None:
                        actual.reservations[claim_id] = found
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
                    pipe.hset(key, mapping=fields(records.cap_reservation_fields(record)))
                    pipe.expire(key, ttl_s)
                await pipe.execute()
        spent = keys.cap_spent(group_id, state.period)
        async with client.pipeline(transaction=True) as pipe:
            pipe.delete(spent)
            if state.spent:
                pipe.hset(spent, mapping=fields(state.spent))
                pipe.expire(spent, ttl_s)
            await pipe.execute()
