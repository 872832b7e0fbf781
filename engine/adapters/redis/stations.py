"""A campaign's places in Redis: a pick-up campaign's stock per station (given to new
stations, moved between them, closed) and a booking campaign's places per slot (given
back when a booking is cancelled); each claim takes its place in admit.lua."""

from __future__ import annotations

from collections.abc import Mapping

from engine.adapters.failures import translated
from engine.adapters.redis import keys, records, replies
from engine.adapters.redis.connection import Client, Scripts, text, texts
from engine.domain.admission import ClaimCancel
from engine.domain.live_records import SlotTerms, StationStock
from engine.errors import (
    AlreadyRedeemed,
    Conflict,
    Expired,
    NotFound,
    NotYetIssued,
    Revoked,
    ValidationFailed,
)


@translated
class RedisStations:
    def __init__(self, client: Client, scripts: Scripts) -> None:
        self.client, self.scripts = client, scripts

    async def add_stations(self, campaign_id: str, stock: Mapping[str, int]) -> int:
        """Give new stations their stock (known ones keep theirs); how many were new."""
        return await self._add_places(campaign_id, {s: (n, None) for s, n in stock.items()})

    async def add_slots(self, campaign_id: str, places: Mapping[str, tuple[int, SlotTerms]]) -> int:
        """Give new slots their places and terms (known ones keep theirs); how many were new."""
        return await self._add_places(campaign_id, places)

    async def _add_places(
        self, campaign_id: str, places: Mapping[str, tuple[int, SlotTerms | None]]
    ) -> int:
        args = [
            x
            for place, (stock, slot) in places.items()
            for x in (place, stock, records.slot_terms_field(slot))
        ]
        if not args:
            return 0
        return int(await self.scripts.run("add_places", [keys.stations(campaign_id)], args))

    async def cancel_claim(self, cancel: ClaimCancel) -> bool:
        """Revoke a booking's voucher and give its place back: True now, False before."""
        cid = cancel.campaign_id
        ks = [
            keys.campaign(cid),
            keys.per_worker(cid),
            keys.per_period(cid, cancel.period),
            keys.claim(cid, cancel.claim_id),
            keys.voucher(cid, cancel.serial),
            keys.stations(cid),
        ]
        status = int(await self.scripts.run("cancel_claim", ks, [cancel.worker_id, cancel.reason]))
        if status == -1:
            raise NotFound("No such booking of yours")
        if status == -2:
            raise AlreadyRedeemed("The worker was checked in: a booking used cannot be cancelled")
        if status == -3:
            raise Expired("The slot is over: the booking lapsed")
        if status == -4:
            raise Revoked()
        return status == 1

    async def move_stock(
        self, campaign_id: str, move_id: str, source: str, target: str, packs: int
    ) -> bool:
        """Move packs once per move id: True now, False when it was moved before."""
        ks = [keys.stations(campaign_id), keys.station_moves(campaign_id)]
        reply = await self.scripts.run("move_stock", ks, [move_id, source, target, packs])
        status = int(reply[0])
        if status == -1:
            raise ValidationFailed("both stations must belong to the campaign")
        if status == -2:
            left = int(reply[1])
            raise Conflict(f"station {source} has {left} packs left", left=left)
        return status == 1

    async def choose_station(
        self, campaign_id: str, claim_id: str, serial: int, station_id: str
    ) -> bool:
        """A pack's station, chosen once: True now, False when chosen before."""
        ks = [
            keys.voucher(campaign_id, serial),
            keys.stations(campaign_id),
            keys.claim(campaign_id, claim_id),
        ]
        reply = await self.scripts.run("choose_station", ks, [station_id])
        status = int(reply[0])
        if status == -1:
            raise NotYetIssued()
        if status == -2:
            raise Conflict(f"This pack's station is chosen already ({text(reply[1])})")
        if status == -3:
            raise Conflict(f"This pack is {text(reply[1])}: its station cannot be chosen")
        if status < 0:
            raise replies.place_refusal(status)
        return status == 1

    async def close_station(self, campaign_id: str, station_id: str) -> None:
        await self.client.hset(keys.stations(campaign_id), records.closed_field(station_id), 1)

    async def station_stock(self, campaign_id: str) -> dict[str, StationStock]:
        return records.station_stocks(texts(await self.client.hgetall(keys.stations(campaign_id))))
