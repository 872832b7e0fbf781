"""`nuanxin reconcile`: compare Redis with PostgreSQL and the log; rebuild what Redis lost.

Check: for every campaign, the state Redis should hold (engine.domain.rebuild, derived
from vouchers, the ledger, unused partner codes and the claim events of the log) against
what it holds; every claim event acknowledged in the log must be a voucher in PostgreSQL
or a released claim in Redis; nothing may stay unsettled longer than the repair delay.

Repair: campaigns whose state is gone from Redis (no definition) are rebuilt — after the
issuer has drained the log into PostgreSQL, so that a claim event still in the log and
not in PostgreSQL is one the issuer voided. Campaigns that still have their state are
never overwritten (the API may be admitting into them); their differences are reported.
Cross-campaign caps are rebuilt with the campaigns (engine.domain.cap_rebuild): a group
whose campaign was rebuilt gets its spending and reservations for the current period
written again; every group's are compared.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from engine.domain.audit import Actor, AuditEntry
from engine.domain.cap_rebuild import CapAdmission, cap_differences, expected_cap
from engine.domain.event_auth import EventKeys
from engine.domain.live_records import RELEASED
from engine.domain.periods import period_ttl_s
from engine.domain.rebuild import (
    LoggedClaim,
    VoucherFacts,
    expected_state,
    split_unissued,
)
from engine.domain.state_differences import differences
from engine.events import CLAIM_ADMITTED
from engine.usecases.ports import (
    AdmissionStore,
    AuditLog,
    CampaignRecords,
    EventLog,
    LiveRebuild,
    Settlement,
    SlotRecords,
    StationRecords,
    VoucherRecords,
)


class Records(CampaignRecords, VoucherRecords, StationRecords, SlotRecords, AuditLog, Protocol):
    """Reconciling reads campaigns, vouchers, stations and slots; a rebuild is audited."""


@dataclass
class ReconcileReport:
    campaigns: int = 0
    rebuilt: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)
    log_events: int = 0


@dataclass
class _Capped:
    """Cap group -> its campaigns' admissions, and the groups whose campaigns were rebuilt."""

    admissions: dict[str, list[CapAdmission]] = field(default_factory=dict)
    rebuilt: set[str] = field(default_factory=set)


class Reconciler:
    def __init__(
        self,
        *,
        records: Records,
        admissions: AdmissionStore,
        settlement: Settlement,
        live: LiveRebuild,
        events: EventLog,
        event_keys: EventKeys,
        unsettled_after_s: float,
        log: Callable[[str], None] = print,
        issuer_quiet_s: float = 5.0,
    ) -> None:
        """`issuer_quiet_s`: how long the claims missing from PostgreSQL must stay the same
        before a rebuild takes the issuer to have drained the log."""
        self.records, self.admissions, self.settlement = records, admissions, settlement
        self.live, self.events, self.event_keys = live, events, event_keys
        self.unsettled_after_s, self.log = unsettled_after_s, log
        self.issuer_quiet_s = issuer_quiet_s

    async def logged_claims(self) -> dict[str, list[LoggedClaim]]:
        """Every authentic claim event in the log, by campaign (forged ones were never
        admitted: the issuer parks them)."""
        by_campaign: dict[str, list[LoggedClaim]] = {}
        for partition, offset, value in await self.events.read(CLAIM_ADMITTED):
            e = json.loads(value)
            if not self.event_keys.authentic(CLAIM_ADMITTED, e):
                continue
            by_campaign.setdefault(e["campaign_id"], []).append(
                LoggedClaim(
                    e["claim_id"],
                    e["serial"],
                    e["worker_id"],
                    e["face_value_fen"],
                    e["admitted_at_ms"],
                    e.get("partner_code", ""),
                    partition,
                    offset,
                    e.get("station_id", ""),
                )
            )
        return by_campaign

    async def wait_for_issuer(self, quiet_s: float = 5.0) -> None:
        """Give the issuer time to drain the log: wait until the logged claims missing from
        PostgreSQL stop changing for `quiet_s` (whatever it has not reached stays in flight)."""
        last: set[str] | None = None
        settled_since = time.monotonic()
        while True:
            logged = await self.logged_claims()
            claim_ids = [c.claim_id for claims in logged.values() for c in claims]
            missing = set(claim_ids) - await self.records.issued_claim_ids(claim_ids)
            if missing != last:
                last, settled_since = missing, time.monotonic()
                self.log(
                    f"{len(missing)} logged claims not yet in PostgreSQL; waiting for the issuer"
                )
            elif time.monotonic() - settled_since >= quiet_s:
                return
            await asyncio.sleep(1.0)

    async def reconcile(self, repair: bool, by: Actor, only: str | None = None) -> ReconcileReport:
        """Every campaign, or `only` that one."""
        report = ReconcileReport()
        ids = [c for c in await self.records.all_campaign_ids() if only in (None, c)]
        lost = [c for c in ids if not await self.live.has_state(c)]
        if repair and lost:
            await self.wait_for_issuer(self.issuer_quiet_s)
        logged = await self.logged_claims()
        report.log_events = sum(len(v) for v in logged.values())
        capped = _Capped()
        for campaign_id in ids:
            rebuild = repair and campaign_id in lost
            await self._campaign(campaign_id, logged.get(campaign_id, []), rebuild, report, capped)
        # A group spans campaigns: checked (and rebuilt) only when every campaign was read.
        if only is None:
            await self._cap_groups(capped, report)
        if report.rebuilt:
            after = {"campaigns": report.rebuilt}
            await self.records.insert_audit(
                AuditEntry.of(by, "redis.rebuild", "redis", after=after)
            )
        return report

    async def _campaign(
        self,
        campaign_id: str,
        logged: list[LoggedClaim],
        rebuild: bool,
        report: ReconcileReport,
        capped: _Capped,
    ) -> None:
        campaign = await self.records.get_campaign(campaign_id)
        assert campaign is not None  # listed by all_campaign_ids; never deleted
        vouchers, ledger, pool = await self.records.rebuild_facts(campaign_id)
        void, in_flight = split_unissued(logged, {v.claim_id for v in vouchers})
        if not rebuild:
            void, in_flight = await self._void_per_redis(campaign_id, void | in_flight)
        report.differences += [
            f"{campaign_id}: claim {c} is in the log but not a voucher yet" for c in in_flight
        ]
        now = datetime.now(UTC)
        stations = await self.records.stations_of(campaign_id) if campaign.stations else []
        slots = await self.records.slots_of(campaign_id) if campaign.slots else []
        expected = expected_state(
            campaign, vouchers, ledger, void, in_flight, pool, now, stations=stations, slots=slots
        )
        if campaign.cap_group is not None:
            capped.admissions.setdefault(campaign.cap_group, []).extend(
                _cap_admissions(campaign_id, vouchers, in_flight.values())
            )
            if rebuild:
                capped.rebuilt.add(campaign.cap_group)
        report.campaigns += 1
        if rebuild:
            await self.live.write_state(campaign, expected)
            report.rebuilt.append(campaign_id)
            self.log(
                f"{campaign_id}: rebuilt {len(vouchers)} vouchers, {len(ledger)} ledger entries"
            )
        actual = await self.live.read_state(campaign_id, expected)
        report.differences += differences(campaign_id, expected, actual)
        cutoff_ms = int((time.time() - self.unsettled_after_s) * 1000)
        stale = await self.settlement.unsettled_before(campaign_id, cutoff_ms)
        report.differences += [
            f"{campaign_id}: {d.kind} {d.decision_id} unsettled too long" for d in stale
        ]

    async def _cap_groups(self, capped: _Capped, report: ReconcileReport) -> None:
        now = datetime.now(UTC)
        for group in await self.records.cap_groups():
            period = group.period
            expected = expected_cap(group.id, period, capped.admissions.get(group.id, []), now)
            if group.id in capped.rebuilt:
                # The group's keys went with the lost campaigns' (one Redis): written again.
                await self.live.write_cap(group.id, expected, period_ttl_s(period))
                self.log(f"cap {group.id}: rebuilt {len(expected.spent)} workers' spending")
            actual = await self.live.read_cap(group.id, expected)
            report.differences += cap_differences(group.id, expected, actual)

    async def _void_per_redis(
        self, campaign_id: str, unissued: dict[str, LoggedClaim]
    ) -> tuple[dict[str, LoggedClaim], dict[str, LoggedClaim]]:
        """With Redis intact, its records say which unissued claims were released (void)."""
        void: dict[str, LoggedClaim] = {}
        in_flight: dict[str, LoggedClaim] = {}
        for claim_id, c in unissued.items():
            record = await self.admissions.claim_record(campaign_id, claim_id)
            released = record.state == RELEASED or record.serial != c.serial
            (void if released else in_flight)[claim_id] = c
        return void, in_flight


def _cap_admissions(
    campaign_id: str, vouchers: list[VoucherFacts], in_flight: Iterable[LoggedClaim]
) -> list[CapAdmission]:
    """What the campaign admitted against its cap: its vouchers and its claims in flight."""
    admissions = [
        CapAdmission(campaign_id, v.claim_id, v.worker_id, v.face_value_fen, v.admitted_at)
        for v in vouchers
    ]
    return admissions + [
        CapAdmission(
            campaign_id,
            c.claim_id,
            c.worker_id,
            c.face_value_fen,
            datetime.fromtimestamp(c.admitted_ms / 1000, UTC),
        )
        for c in in_flight
    ]
