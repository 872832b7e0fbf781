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

    async def admit(self, request: AdmitRequest) -> Admission:
        """Admit once (a repeat answers the first admission); raise the refusal."""
        return replies.admission(await self.admit_group.run(*admit_words(request)))

    async def release_claim(self, request: AdmitRequest, serial: int) -> str:
        """Undo an admission not yet taken by the issuer; the claim's state afterwards."""
        ks = [
            keys.campaign(request.campaign_id),
            keys.per_worker(request.campaign_id),
            keys.per_period(request.campaign_id, request.period),
            keys.claim(request.campaign_id, request.claim_id),
            keys.partner_pool(request.campaign_id),
            keys.unsettled(request.campaign_id),
            keys.stations(request.campaign_id),
        ]
        return text(await self.scripts.run("release_claim", ks, [request.worker_id, serial]))

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

    async def cap_reserve(
        self, reservation: CapReservation, cap: int, ttl_s: int, now_ms: int
    ) -> int:
        """1 reserved now, 2 already reserved for this claim, 0 over the cap."""
        ks = [
            keys.cap_spent(reservation.group, reservation.period),
            keys.cap_reservation(reservation.group, reservation.claim_id),
            keys.cap_unsettled(reservation.group),
        ]
        args: list[Arg] = [
            reservation.worker_id,
            reservation.amount,
            cap,
            ttl_s,
            reservation.claim_id,
            reservation.campaign_id,
            reservation.period,
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


def admit_words(request: AdmitRequest) -> tuple[list[str], list[Arg]]:
    """admit.lua's KEYS and ARGV for an admission."""
    ks = [
        keys.campaign(request.campaign_id),
        keys.per_worker(request.campaign_id),
        keys.per_period(request.campaign_id, request.period),
        keys.eligible_categories(request.campaign_id),
        keys.claim(request.campaign_id, request.claim_id),
        keys.partner_pool(request.campaign_id),
        keys.admission_rate(request.campaign_id, request.now_ms // 60_000),
        keys.unsettled(request.campaign_id),
        keys.claim_rate(request.campaign_id, request.worker_id),
        keys.stations(request.campaign_id),
    ]
    args: list[Arg] = [
        request.worker_id,
        request.category,
        request.now_ms,
        request.face_value_fen,
        request.period_ttl_s,
        "1" if request.via_draw else "0",
        request.rate_per_min,
        request.station_id,
    ]
    return ks, args
