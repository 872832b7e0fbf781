"""In-memory implementations of the use cases' ports, for unit tests of the use cases.

They keep the decisions' rules in plain Python (the stock from engine.domain.stock, as
admit.lua mirrors it); tests/integration/test_port_contracts.py runs one suite of cases
against these and against the Redis adapter, so they cannot drift from the scripts.
Partner-code pools, lotteries and claim-rate limits are not modelled: the contract suite
does not cover them, and the use-case tests do not use them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from engine.domain.admission import ADMITTED, REPEAT, Admission, AdmitRequest, CapReservation
from engine.domain.api_keys import REVOKED, key_digest
from engine.domain.campaigns import Campaign, Status
from engine.domain.cap_groups import CapGroup
from engine.domain.forecast import released
from engine.domain.idempotency import KeyBinding
from engine.domain.live_records import MISSING, RELEASED, ClaimRecord
from engine.domain.profiles import WorkerProfile
from engine.domain.settlement import Activation, Decision
from engine.domain.stock import Counters, available_now
from engine.domain.vouchers import IssuedVoucher, VoucherRow
from engine.errors import (
    ClaimWindowClosed,
    IdempotencyKeyReused,
    LimitReached,
    NotEligible,
    SoldOut,
    Unavailable,
)
from engine.events import Event, LogPosition


@dataclass
class _Live:
    campaign: Campaign
    counters: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_COUNTERS, 0))
    per_worker: dict[str, int] = field(default_factory=dict)
    wave_admitted: dict[int, int] = field(default_factory=dict)


_COUNTERS = ("admitted", "issued", "redeemed", "spent", "expired", "reclaimed", "next_serial")


class MemoryLive:
    """AdmissionStore, Settlement, LiveDefinitions and LiveFigures over one state."""

    def __init__(self) -> None:
        self.campaigns: dict[str, _Live] = {}
        self.records: dict[Decision, ClaimRecord] = {}
        self.waves: dict[Decision, int] = {}
        self.unsettled: dict[Decision, int] = {}
        self.vouchers: dict[tuple[str, int], dict[str, str]] = {}
        self.cap_spent: dict[tuple[str, str, str], int] = {}
        self.cap_reservations: dict[tuple[str, str], CapReservation] = {}
        self.profiles: dict[str, WorkerProfile] = {}
        self.confirmed_soon: list[tuple[Decision, int]] = []

    # -- definitions ------------------------------------------------------------
    async def init_campaign(self, c: Campaign) -> None:
        live = self.campaigns.get(c.id)
        if live is None:
            self.campaigns[c.id] = _Live(c)
        else:
            live.campaign = c

    async def set_status(self, campaign_id: str, status: str) -> None:
        live = self.campaigns[campaign_id]
        live.campaign = _with_status(live.campaign, Status(status))

    async def cache_profiles(self, profiles: Sequence[WorkerProfile]) -> None:
        for profile in profiles:
            self.profiles[profile.worker_id] = profile

    async def cached_profile(self, worker_id: str) -> WorkerProfile | None:
        return self.profiles.get(worker_id)

    # -- admissions -------------------------------------------------------------
    async def admit(self, a: AdmitRequest) -> Admission:
        record = self.records.get(Decision("claim", a.campaign_id, a.claim_id))
        if record and record.state != RELEASED:
            if record.face_value_fen != a.face_value_fen:
                raise IdempotencyKeyReused()
            return Admission(REPEAT, record.state, record.serial, record.face_value_fen)
        live = self.campaigns.get(a.campaign_id)
        if live is None:
            raise Unavailable("The campaign's live state is being rebuilt; retry shortly")
        c, now = live.campaign, datetime.fromtimestamp(a.now_ms / 1000, UTC)
        if c.status not in (Status.OPEN, Status.SCHEDULED) or not (
            c.claim_opens_at <= now < c.claim_closes_at
        ):
            raise ClaimWindowClosed()
        if a.category not in {x.value for x in c.eligible_categories}:
            raise NotEligible("The worker's category is not eligible", failed_rule="category")
        if live.per_worker.get(a.worker_id, 0) >= c.per_worker_limit:
            raise LimitReached()
        wave, total, current, _ = released(c, now)
        if c.waves and wave == 0:
            raise SoldOut()
        left = available_now(
            quota=c.quota,
            admitted=live.counters["admitted"],
            reclaimed=live.counters["reclaimed"],
            rollover=c.rollover,
            waves=bool(c.waves),
            released=total,
            current_wave_quantity=current,
            current_wave_admitted=live.wave_admitted.get(wave, 0),
        )
        budget = c.budget_fen or 0
        if left <= 0 or (budget and live.counters["spent"] + a.face_value_fen > budget):
            raise SoldOut()
        return self._admitted(live, a, wave)

    def _admitted(self, live: _Live, a: AdmitRequest, wave: int) -> Admission:
        c = live.campaign
        live.per_worker[a.worker_id] = live.per_worker.get(a.worker_id, 0) + 1
        live.counters["admitted"] += 1
        live.counters["spent"] += a.face_value_fen
        live.counters["next_serial"] += 1
        if wave:
            live.wave_admitted[wave] = live.wave_admitted.get(wave, 0) + 1
        serial = live.counters["next_serial"]
        d = Decision("claim", a.campaign_id, a.claim_id)
        self.records[d] = ClaimRecord("pending", serial, a.worker_id, a.now_ms, a.face_value_fen)
        self.waves[d] = wave
        self.unsettled[d] = a.now_ms
        valid_until = int(c.valid_until.timestamp())
        return Admission(
            ADMITTED, "pending", serial, a.face_value_fen, valid_until, c.number, c.version, ""
        )

    async def release_claim(self, a: AdmitRequest, serial: int) -> str:
        d = Decision("claim", a.campaign_id, a.claim_id)
        record = self.records.get(d)
        if record is None:
            return MISSING
        if record.state != "pending" or record.serial != serial:
            return record.state
        live = self.campaigns[a.campaign_id]
        live.per_worker[a.worker_id] -= 1
        live.counters["admitted"] -= 1
        live.counters["spent"] -= record.face_value_fen
        if self.waves[d]:
            live.wave_admitted[self.waves[d]] -= 1
        self.records[d] = replace(record, state=RELEASED)
        self.unsettled.pop(d, None)
        return "released"

    async def claim_record(self, campaign_id: str, claim_id: str) -> ClaimRecord:
        return self.records.get(Decision("claim", campaign_id, claim_id), ClaimRecord(MISSING))

    async def holders(self, campaign_id: str, most: int) -> frozenset[str] | None:
        held = self.campaigns[campaign_id].per_worker
        return None if len(held) > most else frozenset(held)

    async def cap_reserve(self, r: CapReservation, cap: int, ttl_s: int, now_ms: int) -> int:
        if (r.group, r.claim_id) in self.cap_reservations:
            return 2
        key = (r.group, r.period, r.worker_id)
        if self.cap_spent.get(key, 0) + r.amount > cap:
            return 0
        self.cap_spent[key] = self.cap_spent.get(key, 0) + r.amount
        self.cap_reservations[(r.group, r.claim_id)] = r
        return 1

    async def cap_release(self, group: str, period: str, claim_id: str, worker_id: str) -> bool:
        r = self.cap_reservations.pop((group, claim_id), None)
        if r is None:
            return False
        self.cap_spent[(group, period, worker_id)] -= r.amount
        return True

    async def cap_unsettled_before(self, group: str, cutoff_ms: int) -> list[CapReservation]:
        return [r for (g, _), r in self.cap_reservations.items() if g == group]

    async def cap_settled(self, group: str, claim_id: str) -> None:
        return None

    # -- settlement -------------------------------------------------------------
    async def confirm(self, d: Decision, serial: int) -> str:
        record = self.records.get(d)
        if record is None:
            return MISSING
        if record.serial != serial:
            return "stale"
        self.unsettled.pop(d, None)
        return self._acked(d)

    def _acked(self, d: Decision) -> str:
        record = self.records[d]
        if record.state == "pending":
            self.records[d] = record = replace(record, state="acked")
        return record.state

    def confirm_soon(self, d: Decision, serial: int, at: LogPosition | None = None) -> None:
        """At once here; the Redis adapter confirms within a round trip, in the background."""
        self.confirmed_soon.append((d, serial))
        record = self.records.get(d)
        if record is not None and record.serial == serial:
            self.unsettled.pop(d, None)
            self._acked(d)

    async def take_many(self, decisions: Sequence[tuple[Decision, int]]) -> list[str]:
        states = []
        for d, serial in decisions:
            record = self.records.get(d)
            if record is None:
                states.append(MISSING)
            elif record.serial != serial:
                states.append("stale")
            elif record.state in ("pending", "acked"):
                self.unsettled.pop(d, None)
                self.records[d] = replace(record, state="taken")
                states.append("taken")
            else:
                states.append(record.state)
        return states

    async def activate_many(self, vouchers: Sequence[Activation]) -> list[int]:
        done = []
        for v in vouchers:
            d = Decision("claim", v.campaign_id, v.claim_id)
            self.records[d] = replace(self.records[d], state="issued")
            if (v.campaign_id, v.serial) in self.vouchers:
                done.append(0)
                continue
            self.vouchers[(v.campaign_id, v.serial)] = {
                "status": "issued",
                "claim_id": v.claim_id,
                "face": str(v.face_value_fen),
                "balance": str(v.face_value_fen),
                "expires_at": str(v.expires_at),
                "stored": str(int(v.stored_value)),
            }
            self.campaigns[v.campaign_id].counters["issued"] += 1
            done.append(1)
        return done

    async def unsettled_before(
        self, campaign_id: str, cutoff_ms: int, limit: int = 1000
    ) -> list[Decision]:
        found = [d for d, at in self.unsettled.items() if d.campaign_id == campaign_id]
        return [d for d in found if self.unsettled[d] <= cutoff_ms][:limit]

    async def forget_unsettled(self, d: Decision) -> None:
        self.unsettled.pop(d, None)

    async def record(self, d: Decision) -> ClaimRecord:
        return await self.claim_record(d.campaign_id, d.decision_id)

    # -- figures ----------------------------------------------------------------
    async def counters(self, campaign_id: str) -> Counters | None:
        live = self.campaigns.get(campaign_id)
        if live is None:
            return None
        names = set(Counters.__dataclass_fields__)
        return Counters(**{k: v for k, v in live.counters.items() if k in names})


class MemoryKeyBindings:
    """KeyBindings: keys by caller and operation, bound for good (the tests outlast no
    binding's life); the profiles are the live state's cache of them."""

    def __init__(self, live: MemoryLive) -> None:
        self.live = live
        self.bound: dict[tuple[str, str, str], str] = {}

    def _bind(self, b: KeyBinding) -> None:
        held = self.bound.setdefault((b.caller_kind, b.caller_id, b.key_digest), b.digest)
        if held != b.digest:
            raise IdempotencyKeyReused()

    async def bind_worker(self, b: KeyBinding) -> WorkerProfile | None:
        self._bind(b)
        return self.live.profiles.get(b.caller_id)

    async def bind_merchant(self, b: KeyBinding, failure_limits: Sequence[tuple[str, int]]) -> None:
        self._bind(b)

    async def unbind(self, b: KeyBinding) -> None:
        key = (b.caller_kind, b.caller_id, b.key_digest)
        if self.bound.get(key) == b.digest:
            del self.bound[key]


class MemoryThrottle:
    """Counts nothing: every request goes ahead (the contract suite does not cover rates)."""

    async def rate(self, caller: str, window_s: int, allowed: int) -> int:
        return 0

    async def credential_failure(self, address: str, window_s: int, allowed: int) -> int:
        return 0

    async def code_failures(
        self, merchant_id: str, limits: Sequence[tuple[str, int]], window_s: int, failed: bool
    ) -> int:
        return 0


class MemoryLog:
    """The event log: what was published, by key; `down` makes publishing fail."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Event]] = []
        self.down = False

    async def publish(self, event: Event, key: str) -> LogPosition:
        if self.down:
            raise Unavailable("The event log did not acknowledge the request")
        self.events.append((key, event))
        return LogPosition(event.name, 0, len(self.events) - 1)


class MemoryRecords:
    """The campaign and voucher records the claim and issuance use cases read and write."""

    def __init__(self) -> None:
        self.campaigns: dict[str, Campaign] = {}
        self.cap_groups_by_id: dict[str, CapGroup] = {}
        self.vouchers: dict[str, IssuedVoucher] = {}

    async def get_campaign(self, campaign_id: str) -> Campaign | None:
        return self.campaigns.get(campaign_id)

    async def get_cap_group(self, group_id: str) -> CapGroup | None:
        return self.cap_groups_by_id.get(group_id)

    async def upsert_vouchers(self, rows: Sequence[VoucherRow]) -> list[tuple[str, str]]:
        for row in rows:
            claim_id, campaign_id, serial, worker_id, face, key_id, code, valid_until, at = row[:9]
            self.vouchers.setdefault(
                claim_id,
                IssuedVoucher(
                    claim_id, campaign_id, serial, worker_id, face, key_id, code,
                    valid_until, at, datetime.now(UTC), row[9], row[10], row[11],
                ),
            )  # fmt: skip
        return [(row[0], self.vouchers[row[0]].code) for row in rows]

    async def voucher_by_claim(self, claim_id: str) -> IssuedVoucher | None:
        return self.vouchers.get(claim_id)


def _with_status(c: Campaign, status: Status) -> Campaign:
    return replace(c, status=status)


class MemoryKeyCache:
    """KeyCache: values by key digest, never overwritten by a fill; a live key's requests
    counted in one window that never ends (the tests' windows outlast them)."""

    def __init__(self) -> None:
        self.values: dict[bytes, str] = {}
        self.requests: dict[bytes, int] = {}

    async def lookup(self, api_key: str, window_s: int, allowed: int) -> tuple[str | None, int]:
        digest = key_digest(api_key)
        value = self.values.get(digest)
        if value is None or value == REVOKED:
            return value, 0
        self.requests[digest] = self.requests.get(digest, 0) + 1
        return value, window_s if self.requests[digest] > allowed else 0

    async def remember(self, api_key: str, value: str, ttl_s: int) -> None:
        self.values.setdefault(key_digest(api_key), value)

    async def revoke(self, digest: bytes, ttl_s: int) -> None:
        self.values[digest] = REVOKED
