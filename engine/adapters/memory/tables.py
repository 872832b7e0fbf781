"""What the in-memory system of record holds, table by table, and its transactions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import date, datetime

from engine.domain.api_keys import MerchantIdentity
from engine.domain.campaigns import Campaign
from engine.domain.cap_groups import CapGroup
from engine.domain.cases import Case
from engine.domain.cashout import Redeemed, Thresholds
from engine.domain.clock import Clock
from engine.domain.ledger import Link
from engine.domain.listings import AuditRecord, OpsCredential, SettlementDay
from engine.domain.lottery import LotteryDraw
from engine.domain.payouts import BankResult, BatchRecord, Payout, PayoutRecord
from engine.domain.profiles import WorkerRecord
from engine.domain.slots import Slot
from engine.domain.stations import Station
from engine.domain.vouchers import IssuedVoucher
from engine.domain.watch import SeenReversal


@dataclass
class MerchantKeyRow:
    identity: MerchantIdentity
    digest: bytes
    created_at: datetime
    revoked_at: datetime | None = None


@dataclass
class DeliveryRow:
    merchant_id: str
    event_id: str
    event_type: str
    body: str
    created_at: datetime
    next_attempt_at: datetime
    status: str = "pending"
    attempts: int = 0
    last_error: str | None = None
    delivered_at: datetime | None = None


@dataclass
class Tables:
    campaigns: dict[str, Campaign] = field(default_factory=dict)
    campaign_versions: dict[tuple[str, int], Campaign] = field(default_factory=dict)
    cap_groups: dict[str, CapGroup] = field(default_factory=dict)
    partner_codes: dict[str, list[str]] = field(default_factory=dict)
    vouchers: dict[str, IssuedVoucher] = field(default_factory=dict)  # by claim id
    ledger: list[Link] = field(default_factory=list)
    settlement_days: dict[tuple[str, date], SettlementDay] = field(default_factory=dict)
    merchants: dict[str, str] = field(default_factory=dict)  # id -> name
    stores: set[tuple[str, str]] = field(default_factory=set)
    merchant_keys: dict[str, MerchantKeyRow] = field(default_factory=dict)  # by key id
    webhooks: dict[str, tuple[str, str]] = field(default_factory=dict)  # url, secret
    deliveries: dict[tuple[str, str], DeliveryRow] = field(default_factory=dict)
    workers: dict[str, WorkerRecord] = field(default_factory=dict)
    token_revocations: dict[str, tuple[int, datetime]] = field(default_factory=dict)
    ops_credentials: dict[str, tuple[OpsCredential, bytes]] = field(default_factory=dict)
    stations: dict[str, dict[str, Station]] = field(default_factory=dict)  # by campaign
    station_moves: set[tuple[str, str]] = field(default_factory=set)  # campaign, move id
    slots: dict[str, dict[str, Slot]] = field(default_factory=dict)  # by campaign
    payouts: dict[str, PayoutRecord] = field(default_factory=dict)  # by payout id
    payout_batches: dict[str, BatchRecord] = field(default_factory=dict)
    payout_lines: dict[str, dict[str, Payout]] = field(default_factory=dict)  # by batch
    payout_results: dict[str, list[BankResult]] = field(default_factory=dict)  # by batch
    audit: list[AuditRecord] = field(default_factory=list)
    lottery_registrations: dict[str, dict[str, str]] = field(default_factory=dict)
    lottery_draws: dict[str, LotteryDraw] = field(default_factory=dict)
    # The cash-out watch: redemptions seen (with campaign and serial), reversals, cases.
    watch_seen: dict[str, tuple[Redeemed, str, int]] = field(default_factory=dict)
    watch_reversals: dict[str, SeenReversal] = field(default_factory=dict)
    watch_thresholds: Thresholds = field(default_factory=Thresholds)
    watch_cases: dict[str, Case] = field(default_factory=dict)


class TableStore:
    """The tables, the clock that stamps rows, and transactions: everything written inside
    one is undone when it raises (nested: only the inner part, as a savepoint)."""

    def __init__(self, clock: Clock, tables: Tables | None = None) -> None:
        self.clock, self.t = clock, tables or Tables()

    def now(self) -> datetime:
        return self.clock.now()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[object]:
        saved = deepcopy(self.t)
        try:
            yield self
        except BaseException:
            self.t.__dict__.update(saved.__dict__)
            raise
