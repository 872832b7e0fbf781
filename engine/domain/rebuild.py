"""What Redis should hold for a campaign, derived from the system of record (no I/O).

`nuanxin reconcile` compares this with Redis; `--repair` writes it into a Redis that lost
its state. Vouchers and the ledger come from PostgreSQL. A claim whose event is in the log
but not in PostgreSQL is either void (the issuer saw it and voided it: its admission had
been released) and stays a 'released' tombstone so a replayed copy is voided again, or in
flight (the issuer has not reached it yet) and stays admitted, its record 'acked'.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime

from engine.domain.campaigns import Campaign
from engine.domain.clock import to_ms
from engine.domain.live_records import (
    CANCELLED,
    RELEASED,
    ClaimRecord,
    RedemptionRecord,
    ReversalRecord,
    StationStock,
    VoucherState,
)
from engine.domain.periods import period_id
from engine.domain.slots import Slot, terms
from engine.domain.stations import Station
from engine.domain.vouchers import voucher_status, voucher_use

# Acknowledged by the broker, before or after a stream worker took it: the same promise.
SETTLED = frozenset({"acked", "taken"})


@dataclass(frozen=True, slots=True)
class VoucherFacts:
    claim_id: str
    serial: int
    worker_id: str
    face_value_fen: int
    admitted_at: datetime
    valid_until: datetime
    partner_code: str | None
    expired: bool
    revoked_reason: str | None
    station_id: str | None = None  # the place taken: a station's pack, a slot's place
    cancelled: bool = False  # a booking its worker cancelled: its place went back


@dataclass(frozen=True, slots=True)
class LedgerFacts:
    entry_id: str
    kind: str  # redemption | reversal
    merchant_id: str
    serial: int
    amount_fen: int  # negative for a reversal
    face_value_fen: int
    reverses: str | None
    store_id: str | None
    terminal_id: str | None
    occurred_at: datetime
    order_fen: int | None = None  # a discount's order (the redemption's, on its reversal)


@dataclass(frozen=True, slots=True)
class LoggedClaim:
    claim_id: str
    serial: int
    worker_id: str
    face_value_fen: int
    admitted_ms: int
    partner_code: str
    partition: int
    offset: int
    station_id: str = ""


def split_unissued(
    logged: Iterable[LoggedClaim], issued: set[str]
) -> tuple[dict[str, LoggedClaim], dict[str, LoggedClaim]]:
    """(void, in flight) among the logged claims that are not vouchers in PostgreSQL.

    The issuer consumes each partition in order, so an event before the last one it issued
    on the same partition was seen (and voided); one after it was not seen yet. A void
    event after that mark counts as in flight: admitted, never oversold, at worst a unit
    held back.
    """
    latest: dict[str, LoggedClaim] = {}
    mark: dict[int, int] = {}
    for c in logged:
        if c.claim_id in issued:
            mark[c.partition] = max(mark.get(c.partition, -1), c.offset)
        elif c.claim_id not in latest or latest[c.claim_id].offset < c.offset:
            latest[c.claim_id] = c
    void: dict[str, LoggedClaim] = {}
    in_flight: dict[str, LoggedClaim] = {}
    for c in latest.values():
        (void if c.offset < mark.get(c.partition, -1) else in_flight)[c.claim_id] = c
    return void, in_flight


@dataclass
class CampaignCounters:
    """Every counter of a campaign's live state (the stock's, and what only grows)."""

    admitted: int = 0
    issued: int = 0
    spent: int = 0
    redeemed: int = 0
    redeemed_fen: int = 0
    reversed_fen: int = 0
    expired: int = 0
    reclaimed: int = 0
    revoked: int = 0
    next_serial: int = 0
    wave_admitted: dict[int, int] = field(default_factory=dict)

    def totals(self) -> dict[str, int]:
        """The counters by name, waves apart."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "wave_admitted"}


@dataclass
class CampaignState:
    """A campaign's live state as records: the adapter decides how it is stored."""

    counters: CampaignCounters = field(default_factory=CampaignCounters)
    per_worker: dict[str, int] = field(default_factory=dict)
    period: str = "none"
    per_period: dict[str, int] = field(default_factory=dict)
    claims: dict[str, ClaimRecord] = field(default_factory=dict)
    vouchers: dict[int, VoucherState] = field(default_factory=dict)
    redemptions: dict[str, RedemptionRecord] = field(default_factory=dict)
    reversals: dict[str, ReversalRecord] = field(default_factory=dict)
    pool: set[str] | None = None
    stations: dict[str, StationStock] = field(default_factory=dict)  # a pick-up campaign's


def expected_state(
    campaign: Campaign,
    vouchers: Iterable[VoucherFacts],
    ledger: Iterable[LedgerFacts],
    void: Mapping[str, LoggedClaim],
    in_flight: Mapping[str, LoggedClaim],
    unused_pool_codes: Iterable[str] | None,
    now: datetime,
    stations: Iterable[Station] = (),
    slots: Iterable[Slot] = (),
) -> CampaignState:
    """Every counter and record a campaign's live state holds, from what PostgreSQL and
    the log say happened. A station's packs left are its allotted stock (moves included)
    less the claims that name it; a slot's places its capacity less the bookings standing."""
    slot_by_id = {s.slot_id: s for s in slots}
    build = _StateBuilder(campaign, sorted(ledger, key=lambda e: e.occurred_at), now, slot_by_id)
    if campaign.partner_pool:
        build.s.pool = set(unused_pool_codes or ())
    vouchers = list(vouchers)
    for v in vouchers:
        build.voucher(v)
    for e in build.entries:
        build.entry(e)
    for lc in in_flight.values():
        at = datetime.fromtimestamp(lc.admitted_ms / 1000, UTC)
        build.admitted(
            lc.claim_id,
            "acked",
            lc.serial,
            lc.worker_id,
            at,
            lc.face_value_fen,
            lc.partner_code,
            lc.station_id,
        )
    for lc in void.values():
        build.s.claims[lc.claim_id] = ClaimRecord(
            RELEASED,
            lc.serial,
            lc.worker_id,
            lc.admitted_ms,
            lc.face_value_fen,
            lc.partner_code,
            lc.station_id,
        )
    claimed = Counter(
        c.station_id for c in build.s.claims.values() if c.state not in (RELEASED, CANCELLED)
    )
    build.s.stations = {
        s.station_id: StationStock(s.stock - claimed[s.station_id], s.open) for s in stations
    } | {
        s.slot_id: StationStock(s.capacity - claimed[s.slot_id], slot=terms(s))
        for s in slot_by_id.values()
    }
    serials = [v.serial for v in vouchers] + [
        lc.serial for lc in (*void.values(), *in_flight.values())
    ]
    build.s.counters = build.counters(max(serials, default=0))
    return build.s


class _StateBuilder:
    """The state of one campaign, written one fact at a time (expected_state)."""

    def __init__(
        self,
        campaign: Campaign,
        entries: list[LedgerFacts],
        now: datetime,
        slots: Mapping[str, Slot],
    ) -> None:
        self.campaign, self.entries, self.slots = campaign, entries, slots
        self.s = CampaignState()
        self.c: Counter[str] = Counter()
        self.waves: Counter[int] = Counter()
        if campaign.period_limit:
            self.s.period = period_id(campaign.period_limit.period, now)
        self.used: Counter[int] = Counter()
        self.refunded: Counter[str] = Counter()  # by the redemption it gives back
        self.last_use: dict[int, LedgerFacts] = {}
        for e in entries:
            self.used[e.serial] += voucher_use(e.amount_fen, e.face_value_fen, e.order_fen)
            if e.kind == "redemption":
                self.last_use[e.serial] = e
            elif e.reverses:
                self.refunded[e.reverses] += -e.amount_fen
        self.balance_after: Counter[int] = Counter()

    def admitted(
        self,
        claim_id: str,
        state: str,
        serial: int,
        worker: str,
        at: datetime,
        face: int,
        pcode: str,
        station: str = "",
    ) -> None:
        """Count one admission and write its claim record."""
        s, c = self.s, self.c
        c["admitted"] += 1
        c["spent"] += face
        wave = sum(1 for w in self.campaign.waves if w.at <= at)
        if wave:
            self.waves[wave] += 1
        s.per_worker[worker] = s.per_worker.get(worker, 0) + 1
        limit = self.campaign.period_limit
        if limit is not None and period_id(limit.period, at) == s.period:
            s.per_period[worker] = s.per_period.get(worker, 0) + 1
        s.claims[claim_id] = ClaimRecord(state, serial, worker, to_ms(at), face, pcode, station)
        if s.pool is not None and pcode:
            s.pool.discard(pcode)

    def voucher(self, voucher: VoucherFacts) -> None:
        balance = voucher.face_value_fen - self.used[voucher.serial]
        status = voucher_status(
            revoked=voucher.revoked_reason is not None, balance_fen=balance, expired=voucher.expired
        )
        self.c["issued"] += 1
        self.c[f"status:{status}"] += 1
        place = voucher.station_id or ""
        if voucher.cancelled:
            # Its place, quota, budget and the worker's limits went back with the cancel.
            self.s.claims[voucher.claim_id] = ClaimRecord(
                CANCELLED,
                voucher.serial,
                voucher.worker_id,
                to_ms(voucher.admitted_at),
                voucher.face_value_fen,
                voucher.partner_code or "",
                place,
            )
        else:
            self.admitted(
                voucher.claim_id,
                "issued",
                voucher.serial,
                voucher.worker_id,
                voucher.admitted_at,
                voucher.face_value_fen,
                voucher.partner_code or "",
                place,
            )
        slot = self.slots.get(place)
        record = VoucherState(
            status=status.value,
            claim_id=voucher.claim_id,
            face_value_fen=voucher.face_value_fen,
            balance_fen=balance,
            expires_at_s=int(voucher.valid_until.timestamp()),
            stored_value=self.campaign.stored_value,
            revoked_reason=voucher.revoked_reason,
            station_id=slot.provider_id if slot else place,
            check_in_from_ms=terms(slot).check_in_from_ms if slot else 0,
        )
        if voucher.serial in self.last_use:
            use = self.last_use[voucher.serial]
            record = replace(
                record, redeemed_by=use.merchant_id, redeemed_at_ms=to_ms(use.occurred_at)
            )
        self.s.vouchers[voucher.serial] = record

    def entry(self, entry: LedgerFacts) -> None:
        """One ledger row, in the order they happened: a redemption or a reversal."""
        self.balance_after[entry.serial] += voucher_use(
            entry.amount_fen, entry.face_value_fen, entry.order_fen
        )
        if entry.kind == "redemption":
            self.c["redeemed_fen"] += entry.amount_fen
            self.s.redemptions[entry.entry_id] = RedemptionRecord(
                state="taken",
                serial=entry.serial,
                merchant_id=entry.merchant_id,
                at_ms=to_ms(entry.occurred_at),
                amount_fen=entry.amount_fen,
                balance_fen=entry.face_value_fen - self.balance_after[entry.serial],
                face_value_fen=entry.face_value_fen,
                refunded_fen=self.refunded[entry.entry_id],
                store_id=entry.store_id or "",
                terminal_id=entry.terminal_id or "",
                order_fen=entry.order_fen or 0,
            )
        else:
            self.c["reversed_fen"] += -entry.amount_fen
            self.s.reversals[entry.entry_id] = ReversalRecord(
                state="taken",
                serial=entry.serial,
                merchant_id=entry.merchant_id,
                redemption_id=entry.reverses or "",
                amount_fen=-entry.amount_fen,
                at_ms=to_ms(entry.occurred_at),
            )

    def counters(self, next_serial: int) -> CampaignCounters:
        c = self.c
        return CampaignCounters(
            admitted=c["admitted"],
            issued=c["issued"],
            spent=c["spent"],
            redeemed=c["status:redeemed"],
            redeemed_fen=c["redeemed_fen"],
            reversed_fen=c["reversed_fen"],
            expired=c["status:expired"],
            reclaimed=c["status:expired"],
            revoked=c["status:revoked"],
            next_serial=next_serial,
            wave_admitted=dict(self.waves),
        )
