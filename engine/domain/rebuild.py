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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from engine.domain.campaigns import Campaign
from engine.domain.clock import to_ms
from engine.domain.periods import period_id
from engine.domain.vouchers import voucher_status

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
class CampaignState:
    counters: dict[str, int] = field(default_factory=dict)
    per_worker: dict[str, int] = field(default_factory=dict)
    period: str = "none"
    per_period: dict[str, int] = field(default_factory=dict)
    claims: dict[str, dict[str, str]] = field(default_factory=dict)
    vouchers: dict[int, dict[str, str]] = field(default_factory=dict)
    redemptions: dict[str, dict[str, str]] = field(default_factory=dict)
    reversals: dict[str, dict[str, str]] = field(default_factory=dict)
    pool: set[str] | None = None


def expected_state(
    campaign: Campaign,
    vouchers: Iterable[VoucherFacts],
    ledger: Iterable[LedgerFacts],
    void: Mapping[str, LoggedClaim],
    in_flight: Mapping[str, LoggedClaim],
    unused_pool_codes: Iterable[str] | None,
    now: datetime,
) -> CampaignState:
    """Every counter and record a campaign's live state holds, from what PostgreSQL and
    the log say happened."""
    build = _StateBuilder(campaign, sorted(ledger, key=lambda e: e.occurred_at), now)
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
            lc.claim_id, "acked", lc.serial, lc.worker_id, at, lc.face_value_fen, lc.partner_code
        )
    for lc in void.values():
        build.s.claims[lc.claim_id] = _claim(
            "released", lc.serial, lc.worker_id, lc.admitted_ms, lc.face_value_fen, lc.partner_code
        )
    serials = [v.serial for v in vouchers] + [
        lc.serial for lc in (*void.values(), *in_flight.values())
    ]
    build.s.counters = build.counters(max(serials, default=0))
    return build.s


class _StateBuilder:
    """The state of one campaign, written one fact at a time (expected_state)."""

    def __init__(self, campaign: Campaign, entries: list[LedgerFacts], now: datetime) -> None:
        self.campaign, self.entries = campaign, entries
        self.s = CampaignState()
        self.c: Counter[str] = Counter()
        if campaign.period_limit:
            self.s.period = period_id(campaign.period_limit.period, now)
        self.used: Counter[int] = Counter()
        self.refunded: Counter[str] = Counter()  # by the redemption it gives back
        self.last_use: dict[int, LedgerFacts] = {}
        for e in entries:
            self.used[e.serial] += e.amount_fen
            if e.kind == "redemption":
                self.last_use[e.serial] = e
            elif e.reverses:
                self.refunded[e.reverses] += -e.amount_fen
        self.balance_after: Counter[int] = Counter()

    def admitted(
        self, claim_id: str, state: str, serial: int, worker: str, at: datetime, face: int,
        pcode: str,
    ) -> None:  # fmt: skip
        """Count one admission and write its claim record."""
        s, c = self.s, self.c
        c["admitted"] += 1
        c["spent"] += face
        wave = sum(1 for w in self.campaign.waves if w.at <= at)
        if wave:
            c[f"wave_admitted:{wave}"] += 1
        s.per_worker[worker] = s.per_worker.get(worker, 0) + 1
        limit = self.campaign.period_limit
        if limit is not None and period_id(limit.period, at) == s.period:
            s.per_period[worker] = s.per_period.get(worker, 0) + 1
        s.claims[claim_id] = _claim(state, serial, worker, to_ms(at), face, pcode)
        if s.pool is not None and pcode:
            s.pool.discard(pcode)

    def voucher(self, v: VoucherFacts) -> None:
        balance = v.face_value_fen - self.used[v.serial]
        status = voucher_status(
            revoked=v.revoked_reason is not None, balance_fen=balance, expired=v.expired
        )
        self.c["issued"] += 1
        self.c[f"status:{status}"] += 1
        self.admitted(
            v.claim_id, "issued", v.serial, v.worker_id, v.admitted_at, v.face_value_fen,
            v.partner_code or "",
        )  # fmt: skip
        record = {
            "status": status.value,
            "claim_id": v.claim_id,
            "face": str(v.face_value_fen),
            "balance": str(balance),
            "expires_at": str(int(v.valid_until.timestamp())),
            "stored": "1" if self.campaign.stored_value else "0",
        }
        if v.serial in self.last_use:
            use = self.last_use[v.serial]
            record |= {
                "redeemed_by": use.merchant_id,
                "redeemed_at_ms": str(to_ms(use.occurred_at)),
            }
        if v.revoked_reason is not None:
            record["revoked_reason"] = v.revoked_reason
        self.s.vouchers[v.serial] = record

    def entry(self, e: LedgerFacts) -> None:
        """One ledger row, in the order they happened: a redemption or a reversal."""
        self.balance_after[e.serial] += e.amount_fen
        if e.kind == "redemption":
            self.c["redeemed_fen"] += e.amount_fen
            self.s.redemptions[e.entry_id] = {
                "state": "taken",
                "serial": str(e.serial),
                "merchant": e.merchant_id,
                "at_ms": str(to_ms(e.occurred_at)),
                "amount": str(e.amount_fen),
                "balance": str(e.face_value_fen - self.balance_after[e.serial]),
                "face": str(e.face_value_fen),
                "refunded": str(self.refunded[e.entry_id]),
                "store": e.store_id or "",
                "terminal": e.terminal_id or "",
            }
        else:
            self.c["reversed_fen"] += -e.amount_fen
            self.s.reversals[e.entry_id] = {
                "state": "taken",
                "serial": str(e.serial),
                "merchant": e.merchant_id,
                "amount": str(-e.amount_fen),
                "at_ms": str(to_ms(e.occurred_at)),
                "redemption": e.reverses or "",
            }

    def counters(self, next_serial: int) -> dict[str, int]:
        c = self.c
        return {
            "admitted": c["admitted"],
            "issued": c["issued"],
            "spent": c["spent"],
            "redeemed": c["status:redeemed"],
            "redeemed_fen": c["redeemed_fen"],
            "reversed_fen": c["reversed_fen"],
            "expired": c["status:expired"],
            "reclaimed": c["status:expired"],
            "revoked": c["status:revoked"],
            "next_serial": next_serial,
        } | {name: n for name, n in c.items() if name.startswith("wave_admitted:")}


def _claim(
    state: str, serial: int, worker: str, at_ms: int, face: int, pcode: str
) -> dict[str, Any]:
    return {
        "state": state,
        "serial": str(serial),
        "worker": worker,
        "at_ms": str(at_ms),
        "face": str(face),
        "pcode": pcode,
    }


# Fields compared per record: what decides an answer (the rest is descriptive).
_COMPARED = {
    "claims": ("state", "serial"),
    "vouchers": ("status", "balance"),
    "redemptions": ("state", "serial", "amount", "refunded"),
    "reversals": ("state", "serial", "amount"),
}
# Counters that only grow with burnt serials or may run ahead of the records.
_AT_LEAST = frozenset({"next_serial"})


def differences(
    campaign_id: str, expected: CampaignState, actual: CampaignState, limit: int = 20
) -> list[str]:
    """Every way `actual` (Redis) departs from `expected`, a line each (`limit` per kind)."""
    out: list[str] = []
    for name, want in expected.counters.items():
        have = actual.counters.get(name, 0)
        if (have < want) if name in _AT_LEAST else (have != want):
            out.append(f"{campaign_id}: counter {name} is {have} in Redis, {want} expected")
    for kind in ("per_worker", "per_period"):
        want_map, have_map = getattr(expected, kind), getattr(actual, kind)
        wrong = [
            w for w in want_map.keys() | have_map.keys() if want_map.get(w, 0) != have_map.get(w, 0)
        ]
        out += [
            f"{campaign_id}: {kind} count of {w} is {have_map.get(w, 0)} in Redis, {want_map.get(w, 0)} expected"
            for w in sorted(wrong)[:limit]
        ]
    for kind, fields in _COMPARED.items():
        want_map, have_map = getattr(expected, kind), getattr(actual, kind)
        wrong = []
        for key, want in want_map.items():
            have = have_map.get(key, {})
            if have.get("state") in SETTLED and want.get("state") in SETTLED:
                have = have | {"state": want["state"]}
            if any(have.get(f) != want.get(f) for f in fields):
                shown = {f: have.get(f) for f in fields}
                wrong.append(
                    f"{campaign_id}: {kind[:-1]} {key} is {shown} in Redis, {_pick(want, fields)} expected"
                )
        out += wrong[:limit]
        if len(wrong) > limit:
            out.append(f"{campaign_id}: ... and {len(wrong) - limit} more {kind} differences")
    if expected.pool is not None and actual.pool is not None and expected.pool != actual.pool:
        out.append(
            f"{campaign_id}: partner pool has {len(actual.pool)} codes in Redis,"
            f" {len(expected.pool)} expected"
        )
    return out


def _pick(record: Mapping[str, str], fields: tuple[str, ...]) -> dict[str, str | None]:
    return {f: record.get(f) for f in fields}
