"""Claim decisions in memory, by admit.lua's rules (AdmissionStore)."""

from __future__ import annotations

from dataclasses import replace

from engine.adapters.memory.live_state import LiveCampaign, LiveState
from engine.domain.admission import ADMITTED, REPEAT, Admission, AdmitRequest, CapReservation
from engine.domain.campaigns import Campaign, Status
from engine.domain.live_records import MISSING, RELEASED, ClaimRecord
from engine.domain.settlement import Decision
from engine.domain.sold_out import StockOut, sold_out
from engine.domain.stations import TO_CHOOSE
from engine.errors import (
    ClaimWindowClosed,
    EngineError,
    IdempotencyKeyReused,
    LimitReached,
    NotEligible,
    RateLimited,
    RegistrationRequired,
    SlotStarted,
    StationClosed,
    StationOutOfStock,
    Unavailable,
    ValidationFailed,
)

_CLAIMABLE = (Status.OPEN, Status.SCHEDULED)


class MemoryAdmissions:
    def __init__(self, live: LiveState) -> None:
        self.live = live

    async def admit(self, request: AdmitRequest) -> Admission:
        """Admit once (a repeat answers the first admission); raise the refusal."""
        campaign = self.live.live(request.campaign_id)
        record = campaign.state.claims.get(request.claim_id) if campaign else None
        if record is not None and record.state != RELEASED:
            if record.face_value_fen != request.face_value_fen:
                raise IdempotencyKeyReused(
                    "This Idempotency-Key was used for a claim of another value"
                )
            return Admission(REPEAT, record.state, record.serial, record.face_value_fen)
        if campaign is None:
            raise Unavailable("The campaign's live state is being rebuilt; retry shortly")
        if request.rate_per_min:
            minute = (request.worker_id, request.now_ms // 60_000)
            campaign.claim_requests[minute] += 1
            if campaign.claim_requests[minute] > request.rate_per_min:
                retry = max(1, 60 - (request.now_ms // 1000) % 60)
                raise RateLimited("Too many claim requests to this campaign", retry_after_s=retry)
        refusal = _refusal(campaign, request)
        if refusal is not None:
            raise refusal
        wave, available, next_at = _stock(campaign, request.now_ms)
        counters, c = campaign.state.counters, campaign.definition
        budget = c.deciding_budget_fen or 0
        smallest = 1
        if available > 0 and budget and counters.spent + request.face_value_fen > budget:
            available, smallest = 0, budget - counters.spent + 1
        code = ""
        if available > 0 and c.partner_pool:
            if not campaign.pool:
                available = 0
            else:
                code = min(campaign.pool)
                campaign.pool.discard(code)
        if available <= 0:
            refused = sold_out(next_at)
            refused.stock = StockOut(next_at, smallest, counters.next_serial)
            raise refused
        return self._admitted(campaign, request, wave, code)

    def _admitted(
        self, campaign: LiveCampaign, request: AdmitRequest, wave: int, code: str
    ) -> Admission:
        state, c = campaign.state, campaign.definition
        state.per_worker[request.worker_id] = state.per_worker.get(request.worker_id, 0) + 1
        if c.period_limit is not None:
            in_period = campaign.per_period.setdefault(request.period, {})
            in_period[request.worker_id] = in_period.get(request.worker_id, 0) + 1
        state.counters.admitted += 1
        state.counters.spent += request.face_value_fen
        if wave:
            state.counters.wave_admitted[wave] = state.counters.wave_admitted.get(wave, 0) + 1
        state.counters.next_serial += 1
        serial = state.counters.next_serial
        second = request.now_ms // 1000
        campaign.admissions_per_s[second] += 1
        campaign.fen_per_s[second] += request.face_value_fen
        state.claims[request.claim_id] = ClaimRecord(
            "pending",
            serial,
            request.worker_id,
            request.now_ms,
            request.face_value_fen,
            code,
            request.station_id,
        )
        valid_until = int(c.valid_until.timestamp())
        if request.station_id and request.station_id != TO_CHOOSE:
            stock = state.stations[request.station_id]
            state.stations[request.station_id] = replace(stock, left=stock.left - 1)
            if stock.slot is not None:
                valid_until = stock.slot.valid_until_s
                campaign.claim_valid_until[request.claim_id] = valid_until
        campaign.claim_wave[request.claim_id], campaign.claim_version[request.claim_id] = (
            wave,
            c.version,
        )
        self.live.unsettled[Decision("claim", request.campaign_id, request.claim_id)] = (
            request.now_ms
        )
        return Admission(
            ADMITTED,
            "pending",
            serial,
            request.face_value_fen,
            valid_until,
            c.number,
            c.version,
            code,
        )

    async def release_claim(self, request: AdmitRequest, serial: int) -> str:
        """Undo an admission not yet taken by the issuer; the claim's state afterwards."""
        campaign = self.live.live(request.campaign_id)
        record = campaign.state.claims.get(request.claim_id) if campaign else None
        if campaign is None or record is None:
            return MISSING
        if record.state != "pending" or record.serial != serial:
            return record.state
        campaign.give_back(request.claim_id, record, request.period)
        if record.partner_code:
            campaign.pool.add(record.partner_code)
        campaign.state.claims[request.claim_id] = replace(record, state=RELEASED)
        self.live.unsettled.pop(Decision("claim", request.campaign_id, request.claim_id), None)
        return RELEASED

    async def claim_record(self, campaign_id: str, claim_id: str) -> ClaimRecord:
        campaign = self.live.live(campaign_id)
        found = campaign.state.claims.get(claim_id) if campaign else None
        return found or ClaimRecord(MISSING)

    async def holders(self, campaign_id: str, most: int) -> frozenset[str] | None:
        """Every worker that holds or held a claim of the campaign; None past `most`."""
        campaign = self.live.live(campaign_id)
        held = campaign.state.per_worker if campaign else {}
        return None if len(held) > most else frozenset(held)

    async def cap_reserve(
        self, reservation: CapReservation, cap: int, ttl_s: int, now_ms: int
    ) -> int:
        """1 reserved now, 2 already reserved for this claim, 0 over the cap."""
        if (reservation.group, reservation.claim_id) in self.live.cap_reservations:
            return 2
        spent = self.live.cap_spent.setdefault((reservation.group, reservation.period), {})
        if spent.get(reservation.worker_id, 0) + reservation.amount > cap:
            return 0
        spent[reservation.worker_id] = spent.get(reservation.worker_id, 0) + reservation.amount
        self.live.cap_reservations[(reservation.group, reservation.claim_id)] = reservation
        self.live.cap_unsettled[(reservation.group, reservation.claim_id)] = now_ms
        return 1

    async def cap_release(self, group: str, period: str, claim_id: str, worker_id: str) -> bool:
        r = self.live.cap_reservations.pop((group, claim_id), None)
        if r is None:
            return False
        self.live.cap_spent[(group, r.period)][r.worker_id] -= r.amount
        self.live.cap_unsettled.pop((group, claim_id), None)
        return True

    async def cap_unsettled_before(self, group: str, cutoff_ms: int) -> list[CapReservation]:
        """Reservations made before `cutoff_ms` not yet known to belong to an admission."""
        found = []
        for (g, claim_id), at in sorted(self.live.cap_unsettled.items(), key=lambda x: x[1]):
            if g == group and at <= cutoff_ms:
                held = self.live.cap_reservations.get((g, claim_id))
                found.append(held or CapReservation(group, "", claim_id, "", "", 0))
        return found[:1000]

    async def cap_settled(self, group: str, claim_id: str) -> None:
        self.live.cap_unsettled.pop((group, claim_id), None)


def _refusal(campaign: LiveCampaign, request: AdmitRequest) -> EngineError | None:
    """Why the campaign refuses this worker now, before its stock is looked at."""
    c = campaign.definition
    if c.status not in _CLAIMABLE:
        return ClaimWindowClosed()
    if not request.via_draw:
        if c.lottery is not None:
            return RegistrationRequired()
        opens, closes = _ms(c.claim_opens_at.timestamp()), _ms(c.claim_closes_at.timestamp())
        if not opens <= request.now_ms < closes:
            return ClaimWindowClosed()
    if request.category not in {x.value for x in c.eligible_categories}:
        return NotEligible("The worker's category is not eligible", failed_rule="category")
    if campaign.state.per_worker.get(request.worker_id, 0) >= c.per_worker_limit:
        return LimitReached()
    limit = c.period_limit
    in_period = campaign.per_period.get(request.period, {}).get(request.worker_id, 0)
    if limit is not None and in_period >= limit.limit:
        return LimitReached("The per-worker limit for this period is reached")
    return _place_refusal(campaign, request.station_id, request.now_ms)


def _place_refusal(campaign: LiveCampaign, place: str, now_ms: int) -> EngineError | None:
    if not place or place == TO_CHOOSE:
        return None
    stock = campaign.state.stations.get(place)
    if stock is None:
        return ValidationFailed("No such station in this campaign")
    if not stock.open:
        return StationClosed()
    if stock.slot is not None and now_ms >= stock.slot.bookable_until_ms:
        return SlotStarted()
    return StationOutOfStock() if stock.left <= 0 else None


def _stock(campaign: LiveCampaign, now_ms: int) -> tuple[int, int, int]:
    """(The wave now open (0: none or no waves), units available, the next wave's time ms)."""
    c, counters = campaign.definition, campaign.state.counters
    if not c.waves:
        return 0, _remaining(c, counters.admitted, counters.reclaimed), 0
    wave = released = current = next_at = 0
    for w in c.waves:
        at = _ms(w.at.timestamp())
        if at <= now_ms:
            wave, released, current = wave + 1, released + w.quantity, w.quantity
        elif not next_at:
            next_at = at
    if wave == 0:
        return 0, 0, next_at
    if c.rollover:
        return wave, released + counters.reclaimed - counters.admitted, next_at
    return wave, current - counters.wave_admitted.get(wave, 0), next_at


def _remaining(campaign: Campaign, admitted: int, reclaimed: int) -> int:
    return campaign.quota - admitted + (reclaimed if campaign.rollover else 0)


def _ms(seconds: float) -> int:
    return int(seconds * 1000)
