"""A worker claims a voucher, and reads back claims and vouchers."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from engine.domain.admission import (
    Admission,
    AdmitRequest,
    CapReservation,
    admit_request,
    campaign_of_claim,
    claim_id_for,
)
from engine.domain.campaigns import Campaign, Status
from engine.domain.clock import to_ms
from engine.domain.discounts import discount_as_dict
from engine.domain.idempotency import claim_binding
from engine.domain.live_records import ClaimRecord
from engine.domain.periods import period_id, period_ttl_s
from engine.domain.rules import failed_rule
from engine.domain.settlement import Decision
from engine.domain.slots import slot_choice
from engine.domain.sold_out import SoldOutMarks, StockOut
from engine.domain.stations import station_choice
from engine.domain.tokens import WorkerIdentity
from engine.domain.vouchers import IssuedVoucher
from engine.errors import (
    EngineError,
    LimitReached,
    NotEligible,
    NotFound,
    RateLimited,
    SoldOut,
    ValidationFailed,
)
from engine.events import ClaimAdmitted
from engine.usecases.durability import make_durable, until_settled
from engine.usecases.ports import (
    AdmissionStore,
    CampaignRecords,
    Clock,
    EventPublisher,
    KeyBindings,
    Settlement,
    SlotRecords,
    StationRecords,
    Throttle,
    VoucherRecords,
)
from engine.usecases.read_caches import Campaigns, Profiles
from engine.usecases.voucher_views import Places, pickup_view, slot_view, voucher_view


@dataclass(frozen=True, slots=True)
class ClaimAnswer:
    claim_id: str
    status: str = "admitted"


@dataclass(frozen=True, slots=True)
class Claimant:
    """Who is admitted: the worker and the category of their profile of record."""

    worker_id: str
    category: str


@dataclass(frozen=True, slots=True)
class CapHold:
    """A reservation against a cross-campaign cap, made before the admission."""

    group: str
    period: str
    fresh: bool  # made by this request, so this request must give it back on refusal


# Past this many holders a campaign is not remembered as sold out: reading them would
# stall Redis longer than the long tail of the burst costs.
MOST_HOLDERS_READ = 1_000_000


class Records(CampaignRecords, StationRecords, SlotRecords, Protocol):
    """Campaigns (their numbers, cap groups) and where a pack is picked up."""


class Claims:
    def __init__(
        self,
        *,
        admissions: AdmissionStore,
        bindings: KeyBindings,
        settlement: Settlement,
        throttle: Throttle,
        publisher: EventPublisher,
        records: Records,
        vouchers: VoucherRecords,
        campaigns: Campaigns,
        profiles: Profiles,
        clock: Clock,
        wait_s: float,
        rate_per_min: int = 0,
        sold_out_marks: SoldOutMarks | None = None,
    ) -> None:
        self.admissions, self.settlement, self.throttle = admissions, settlement, throttle
        self.bindings = bindings
        self.publisher, self.records, self.vouchers = publisher, records, vouchers
        self.campaigns, self.profiles, self.clock, self.wait_s = campaigns, profiles, clock, wait_s
        self.rate_per_min = rate_per_min
        self.marks = sold_out_marks or SoldOutMarks(0)
        self._reading_holders: dict[str, asyncio.Future[frozenset[str] | None]] = {}

    async def claim(
        self,
        campaign_id: str,
        who: WorkerIdentity,
        idempotency_key: str,
        request_id: str = "",
        face_value_fen: int | None = None,
        station_id: str | None = None,
        slot_id: str | None = None,
    ) -> ClaimAnswer:
        if self.rate_per_min and not self.campaigns.fresh(campaign_id):
            # A look-up in PostgreSQL: counted against the worker's request rate first, so a
            # token cannot turn made-up campaign ids into database load.
            wait = await self.throttle.rate(f"worker:{who.worker_id}", 60, self.rate_per_min)
            if wait:
                limit = self.rate_per_min
                raise RateLimited(f"At most {limit} requests a minute", retry_after_s=wait)
        campaign = await self.campaigns.get(campaign_id)
        face = choose_face_value(campaign, face_value_fen)
        # The place a claim takes: a station's pack or a slot's place (each checked).
        station = station_choice(campaign.stations, station_id)
        station = slot_choice(campaign.slots, slot_id) or station
        now_ms = to_ms(self.clock.now())
        if _markable(campaign, now_ms):
            refused = self.marks.refusal(campaign_id, campaign.version, who.worker_id, face, now_ms)
            if refused is not None:
                raise refused
        # The key is bound to this request before anything is decided; the worker's
        # current profile comes back with it (eligibility never trusts the token).
        binding = claim_binding(who.worker_id, idempotency_key, campaign_id, face, station)
        profile = await self.bindings.bind_worker(binding)
        if profile is None:
            profile = await self.profiles.load(who.worker_id)
        if campaign.rules:
            rule = failed_rule(campaign.rules, profile)
            if rule is not None:
                raise NotEligible(f"Rule not met: {rule.describe()}", failed_rule=rule.as_dict())
        claim_id = claim_id_for(campaign_id, who.worker_id, idempotency_key)
        try:
            await self.admit(
                campaign,
                claim_id,
                Claimant(who.worker_id, profile.category),
                face,
                request_id,
                rate_per_min=self.rate_per_min,
                station_id=station,
            )
        except ValidationFailed:
            # A station that is not the campaign's: bad input, which holds no key.
            await self.bindings.unbind(binding)
            raise
        except SoldOut as exc:
            if isinstance(exc.stock, StockOut):
                # The answer stands if its holders cannot be read; only its memory is lost.
                with contextlib.suppress(Exception):
                    await self._remember_sold_out(campaign, exc.stock, now_ms)
            raise
        return ClaimAnswer(claim_id)

    async def admit(
        self,
        campaign: Campaign,
        claim_id: str,
        who: Claimant,
        face: int,
        request_id: str = "",
        via_draw: bool = False,
        rate_per_min: int = 0,
        station_id: str = "",
    ) -> Admission:
        """Admit once (a repeat returns the first admission) and make it durable."""
        now = self.clock.now()
        request = admit_request(
            campaign,
            claim_id,
            who.worker_id,
            who.category,
            now,
            face,
            via_draw,
            rate_per_min,
            station_id,
        )
        cap = await self._hold_cap(campaign, claim_id, who.worker_id, face, now)

        async def attempt() -> Admission:
            return await self.admissions.admit(request)

        try:
            admission = await until_settled(
                attempt, lambda a: "new" if a.is_new else a.state, self.wait_s
            )
            if admission.is_new:
                await self._make_durable(campaign, request, admission, cap, request_id)
        except EngineError:
            if cap is not None and cap.fresh:
                await self.admissions.cap_release(cap.group, cap.period, claim_id, who.worker_id)
            raise
        return admission

    async def _remember_sold_out(self, campaign: Campaign, stock: StockOut, now_ms: int) -> None:
        holders = self.marks.holders_since(campaign.id, stock)
        if holders is None:
            # The burst's tail meets the sell-out all at once: one read serves them all.
            reading = self._reading_holders.get(campaign.id)
            if reading is None:
                reading = asyncio.ensure_future(
                    self.admissions.holders(campaign.id, MOST_HOLDERS_READ)
                )
                self._reading_holders[campaign.id] = reading
                reading.add_done_callback(lambda _: self._reading_holders.pop(campaign.id, None))
            holders = await asyncio.shield(reading)
            if holders is None:
                return
        self.marks.mark(campaign.id, campaign.version, stock, holders, now_ms)

    async def _hold_cap(
        self, campaign: Campaign, claim_id: str, worker_id: str, face: int, now: datetime
    ) -> CapHold | None:
        if campaign.cap_group is None:
            return None
        group = await self.records.get_cap_group(campaign.cap_group)
        if group is None:
            return None
        period = group.period
        pid = period_id(period, now)
        reservation = CapReservation(group.id, pid, claim_id, worker_id, campaign.id, face)
        reserved = await self.admissions.cap_reserve(
            reservation, group.max_fen, period_ttl_s(period), to_ms(now)
        )
        if not reserved:
            raise LimitReached(
                f"The cap of {group.max_fen} fen per {period} across {group.id} is reached",
                cap_group=group.id,
            )
        return CapHold(group.id, pid, fresh=reserved == 1)

    async def _make_durable(
        self,
        campaign: Campaign,
        request: AdmitRequest,
        admission: Admission,
        cap: CapHold | None,
        request_id: str,
    ) -> None:
        event = ClaimAdmitted(
            claim_id=request.claim_id,
            campaign_id=campaign.id,
            campaign_number=admission.campaign_number,
            serial=admission.serial,
            worker_id=request.worker_id,
            face_value_fen=admission.face_value_fen,
            valid_until=admission.valid_until,
            admitted_at_ms=request.now_ms,
            request_id=request_id,
            campaign_version=admission.campaign_version,
            partner_code=admission.partner_code,
            stored_value=campaign.stored_value,
            station_id=request.station_id,
        )

        decision = Decision("claim", campaign.id, request.claim_id)
        await make_durable(
            publish=lambda: self.publisher.publish(event, key=request.claim_id),
            confirm=lambda at: self.settlement.confirm_soon(decision, admission.serial, at),
            release=lambda: self._release(request, admission.serial, cap),
        )

    async def _release(self, request: AdmitRequest, serial: int, cap: CapHold | None) -> str:
        state = await release_claim(self.admissions, request, serial, cap)
        if state == "released":
            self.marks.clear(request.campaign_id)
        return state

    async def get(self, claim_id: str, who: WorkerIdentity) -> dict[str, Any]:
        """A worker sees only their own claims; anyone else's look like missing ones."""
        campaign_id = campaign_of_claim(claim_id)
        record = await self.admissions.claim_record(campaign_id, claim_id)
        # 'pending' too: the owner learns a claim id only from the 201, which may come
        # before the background confirmation reaches Redis.
        if record.worker_id == who.worker_id and record.state in ("pending", "acked", "taken"):
            return {"claim_id": claim_id, "status": "admitted", "voucher": None}
        return await self._from_database(claim_id, who)

    async def _from_database(self, claim_id: str, who: WorkerIdentity) -> dict[str, Any]:
        voucher = await self.voucher(claim_id, who)
        return {"claim_id": claim_id, "status": "issued", "voucher": voucher_view(voucher)}

    async def voucher(self, claim_id: str, who: WorkerIdentity) -> IssuedVoucher:
        """The worker's own voucher; anyone else's looks like a missing one."""
        row = await self.vouchers.voucher_by_claim(claim_id)
        if row is None or row.worker_id != who.worker_id:
            raise NotFound("No such claim")
        return row

    async def vouchers_of(self, who: WorkerIdentity) -> list[dict[str, Any]]:
        """With their programmes' names, where a pack is picked up and the slot booked:
        the worker page lists vouchers of closed programmes too."""
        views = []
        places = Places(self.records)
        for v in await self.vouchers.vouchers_of_worker(who.worker_id):
            c = await self.campaigns.get(v.campaign_id)
            discount = discount_as_dict(c.discount) if c.discount else None
            named = {
                "campaign_name": c.name,
                "campaign_name_en": c.name_en,
                "discount": discount,
                "payout": c.payout,
            }
            if v.station_id and c.slots:
                slot = (await places.slots(c.id)).get(v.station_id)
                if slot is not None:
                    named["booking"] = slot_view(slot) | {"cancelled": v.cancelled_at is not None}
            elif v.station_id:
                station = (await places.stations(c.id)).get(v.station_id)
                named["pickup"] = pickup_view(station, v.station_id)
            views.append(voucher_view(v) | named)
        return views


def _markable(campaign: Campaign, now_ms: int) -> bool:
    """May a sold-out mark answer a claim now? Only while the script would look at the
    stock at all: a closed window keeps its own refusal. The worker's eligibility is not
    read first (that costs the round trip the mark saves): to anyone who holds no claim,
    a sold-out programme is sold out, whether or not they could have claimed it."""
    return (
        campaign.lottery is None
        and campaign.status in (Status.OPEN, Status.SCHEDULED)
        and to_ms(campaign.claim_opens_at) <= now_ms < to_ms(campaign.claim_closes_at)
    )


def choose_face_value(campaign: Campaign, requested: int | None) -> int:
    if requested is None:
        return campaign.face_value_fen
    low, high = campaign.face_range
    if not low <= requested <= high:
        raise ValidationFailed(f"face_value_fen must be between {low} and {high} for this campaign")
    return requested


async def release_unsettled_claim(
    admissions: AdmissionStore,
    records: CampaignRecords,
    campaign: Campaign,
    claim_id: str,
    record: ClaimRecord,
) -> str:
    """Release a claim an API process admitted and never settled (it died in between).

    Its event may still be in the log: the issuer then finds the claim released and voids
    it, so the unit goes back to stock exactly once. Returns the state afterwards.
    """
    at = datetime.fromtimestamp(record.admitted_at_ms / 1000, UTC)
    request = admit_request(campaign, claim_id, record.worker_id, "", at, record.face_value_fen)
    cap = None
    if campaign.cap_group is not None:
        group = await records.get_cap_group(campaign.cap_group)
        if group is not None:
            cap = CapHold(group.id, period_id(group.period, at), fresh=False)
    return await release_claim(admissions, request, record.serial, cap)


async def release_claim(
    admissions: AdmissionStore, request: AdmitRequest, serial: int, cap: CapHold | None
) -> str:
    """Undo an admission still pending (and give back its cap reservation); the state after."""
    state = await admissions.release_claim(request, serial)
    if state == "released" and cap is not None:
        await admissions.cap_release(cap.group, cap.period, request.claim_id, request.worker_id)
    return state
