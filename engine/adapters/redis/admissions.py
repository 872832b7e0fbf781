"""Claim decisions in Redis: admission, its release, and the cross-campaign cap."""

from __future__ import annotations

from engine.adapters.failures import translated
from engine.adapters.redis import keys, records, replies
from engine.adapters.redis.connection import Arg, Client, Scripts, text, texts
from engine.domain.admission import Admission, AdmitRequest, CapReservation
from engine.domain.live_records import ClaimRecord


@translated
class RedisAdmissions:
    def __init__(self, client: Client, scripts: Scripts) -> None:
        self.client, self.scripts = client, scripts
        self.admit_group = scripts.group_commit("admit")

    async def admit(self, a: AdmitRequest) -> Admission:
        """Admit once (a repeat answers the first admission); raise the refusal."""
        return replies.admission(await self.admit_group.run(*admit_words(a)))

    async def release_claim(self, a: AdmitRequest, serial: int) -> str:
        """Undo an admission not yet taken by the issuer; the claim's state afterwards."""
        ks = [
            keys.campaign(a.campaign_id),
            keys.per_worker(a.campaign_id),
            keys.per_period(a.campaign_id, a.period),
            keys.claim(a.campaign_id, a.claim_id),
            keys.partner_pool(a.campaign_id),
            keys.unsettled(a.campaign_id),
        ]
        return text(await self.scripts.run("release_claim", ks, [a.worker_id, serial]))

    async def holders(self, campaign_id: str, most: int) -> frozenset[str] | None:
        """The workers holding (or once holding) a claim of the campaign; None past `most`."""
        key = keys.per_worker(campaign_id)
        if await self.client.hlen(key) > most:
            return None
        return frozenset(text(w) for w in await self.client.hkeys(key))

    async def claim_record(self, campaign_id: str, claim_id: str) -> ClaimRecord:
        return records.claim_record(
            texts(await self.client.hgetall(keys.claim(campaign_id, claim_id)))
        )

    async def cap_reserve(self, r: CapReservation, cap: int, ttl_s: int, now_ms: int) -> int:
        """1 reserved now, 2 already reserved for this claim, 0 over the cap."""
        ks = [
            keys.cap_spent(r.group, r.period),
            keys.cap_reservation(r.group, r.claim_id),
            keys.cap_unsettled(r.group),
        ]
        args: list[Arg] = [
            r.worker_id,
            r.amount,
            cap,
            ttl_s,
            r.claim_id,
            r.campaign_id,
            r.period,
            now_ms,
        ]
        return int(await self.scripts.run("cap_reserve", ks, args))

    async def cap_release(self, group: str, period: str, claim_id: str, worker_id: str) -> bool:
        ks = [
            keys.cap_spent(group, period),
            keys.cap_reservation(group, claim_id),
            keys.cap_unsettled(group),
        ]
        return bool(await self.scripts.run("cap_release", ks, [worker_id, claim_id]))

    async def cap_unsettled_before(self, group: str, cutoff_ms: int) -> list[CapReservation]:
        """Reservations made before `cutoff_ms` not yet known to belong to an admission."""
        raw_ids = await self.client.zrangebyscore(
            keys.cap_unsettled(group), "-inf", cutoff_ms, start=0, num=1000
        )
        claim_ids = [text(c) for c in raw_ids]
        async with self.client.pipeline(transaction=False) as pipe:
            for claim_id in claim_ids:
                pipe.hgetall(keys.cap_reservation(group, claim_id))
            raw = await pipe.execute()
        found = []
        for claim_id, fields in zip(claim_ids, raw, strict=True):
            reservation = records.cap_reservation(group, claim_id, texts(fields))
            found.append(reservation or CapReservation(group, "", claim_id, "", "", 0))
        return found

    async def cap_settled(self, group: str, claim_id: str) -> None:
        await self.client.zrem(keys.cap_unsettled(group), claim_id)


def admit_words(a: AdmitRequest) -> tuple[list[str], list[Arg]]:
    """admit.lua's KEYS and ARGV for an admission."""
    ks = [
        keys.campaign(a.campaign_id),
        keys.per_worker(a.campaign_id),
        keys.per_period(a.campaign_id, a.period),
        keys.eligible_categories(a.campaign_id),
        keys.claim(a.campaign_id, a.claim_id),
        keys.partner_pool(a.campaign_id),
        keys.admission_rate(a.campaign_id, a.now_ms // 60_000),
        keys.unsettled(a.campaign_id),
        keys.claim_rate(a.campaign_id, a.worker_id),
    ]
    args: list[Arg] = [
        a.worker_id,
        a.category,
        a.now_ms,
        a.face_value_fen,
        a.period_ttl_s,
        "1" if a.via_draw else "0",
        a.rate_per_min,
    ]
    return ks, args
