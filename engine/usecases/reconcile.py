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

from engine.adapters.kafka import read_log
from engine.adapters.postgres import Database
from engine.adapters.redis_rebuild import has_state, read_cap, read_state, write_cap, write_state
from engine.adapters.redis_store import RedisStore
from engine.domain.cap_rebuild import CapAdmission, cap_differences, expected_cap
from engine.domain.periods import Period, period_ttl_s
from engine.domain.rebuild import (
    LoggedClaim,
    VoucherFacts,
    differences,
    expected_state,
    split_unissued,
)
from engine.events import CLAIM_ADMITTED
from engine.keyfiles import event_keys_of
from engine.settings import Settings


@dataclass
class ReconcileReport:
    campaigns: int = 0
    rebuilt: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)
    log_events: int = 0


async def logged_claims(settings: Settings) -> dict[str, list[LoggedClaim]]:
    """Every authentic claim event in the log, by campaign (forged ones were never
    admitted: the issuer parks them)."""
    keys = event_keys_of(settings)
    by_campaign: dict[str, list[LoggedClaim]] = {}
    for partition, offset, value in await read_log(settings, CLAIM_ADMITTED):
        e = json.loads(value)
        if not keys.authentic(CLAIM_ADMITTED, e):
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
            )
        )
    return by_campaign


async def wait_for_issuer(
    settings: Settings, db: Database, log: Callable[[str], None], quiet_s: float = 5.0
) -> None:
    """Give the issuer time to drain the log: wait until the logged claims missing from
    PostgreSQL stop changing for `quiet_s` (whatever it has not reached stays in flight)."""
    last: set[str] | None = None
    settled_since = time.monotonic()
    while True:
        logged = await logged_claims(settings)
        claim_ids = [c.claim_id for claims in logged.values() for c in claims]
        missing = set(claim_ids) - await db.issued_claim_ids(claim_ids)
        if missing != last:
            last, settled_since = missing, time.monotonic()
            log(f"{len(missing)} logged claims not yet in PostgreSQL; waiting for the issuer")
        elif time.monotonic() - settled_since >= quiet_s:
            return
        await asyncio.sleep(1.0)


async def _void_per_redis(
    store: RedisStore, campaign_id: str, unissued: dict[str, LoggedClaim]
) -> tuple[dict[str, LoggedClaim], dict[str, LoggedClaim]]:
    """With Redis intact, its records say which unissued claims were released (void)."""
    void, in_flight = {}, {}
    for claim_id, c in unissued.items():
        record = await store.claim_record(campaign_id, claim_id)
        released = record.get("state") == "released" or record.get("serial") != str(c.serial)
        (void if released else in_flight)[claim_id] = c
    return void, in_flight


async def reconcile(
    settings: Settings,
    db: Database,
    store: RedisStore,
    repair: bool,
    log: Callable[[str], None] = print,
    only: str | None = None,
) -> ReconcileReport:
    """Every campaign, or `only` that one."""
    report = ReconcileReport()
    ids = [c for c in await db.all_campaign_ids() if only in (None, c)]
    lost = [c for c in ids if not await has_state(store, c)]
    if repair and lost:
        await wait_for_issuer(settings, db, log)
    logged = await logged_claims(settings)
    report.log_events = sum(len(v) for v in logged.values())
    now = datetime.now(UTC)
    cutoff_ms = int((time.time() - settings.unsettled_after_s) * 1000)
    capped: dict[str, list[CapAdmission]] = {}  # cap group -> its campaigns' admissions
    rebuilt_groups: set[str] = set()
    for campaign_id in ids:
        campaign = await db.get_campaign(campaign_id)
        vouchers, ledger, pool = await db.rebuild_facts(campaign_id)
        in_db = {v.claim_id for v in vouchers}
        void, in_flight = split_unissued(logged.get(campaign_id, []), in_db)
        rebuild = repair and campaign_id in lost
        if not rebuild:
            void, in_flight = await _void_per_redis(store, campaign_id, void | in_flight)
        report.differences += [
            f"{campaign_id}: claim {c} is in the log but not a voucher yet" for c in in_flight
        ]
        expected = expected_state(campaign, vouchers, ledger, void, in_flight, pool, now)
        if campaign.cap_group is not None:
            capped.setdefault(campaign.cap_group, []).extend(
                _cap_admissions(campaign_id, vouchers, in_flight.values())
            )
            if rebuild:
                rebuilt_groups.add(campaign.cap_group)
        report.campaigns += 1
        if rebuild:
            await write_state(store, campaign, expected)
            report.rebuilt.append(campaign_id)
            log(f"{campaign_id}: rebuilt {len(vouchers)} vouchers, {len(ledger)} ledger entries")
        actual = await read_state(store, campaign_id, expected)
        report.differences += differences(campaign_id, expected, actual)
        stale = await store.unsettled_before(campaign_id, cutoff_ms)
        report.differences += [f"{campaign_id}: {key} unsettled too long" for key in stale]
    # A group spans campaigns: checked (and rebuilt) only when every campaign was read.
    for group in await db.cap_groups() if only is None else []:
        period = Period(group["period"])
        expected_cap_state = expected_cap(period, capped.get(group["id"], []), now)
        if group["id"] in rebuilt_groups:
            # The group's keys went with the lost campaigns' (one Redis): written again.
            await write_cap(store, group["id"], expected_cap_state, period_ttl_s(period))
            log(f"cap {group['id']}: rebuilt {len(expected_cap_state.spent)} workers' spending")
        actual_cap = await read_cap(store, group["id"], expected_cap_state)
        report.differences += cap_differences(group["id"], expected_cap_state, actual_cap)
    return report


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
