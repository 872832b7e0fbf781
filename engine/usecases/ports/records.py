"""Ports of the system of record (PostgreSQL in production), one per concern.

Every answer is a record of the domain: nothing here is shaped by how it is stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime
from typing import Protocol

from engine.domain.api_keys import MerchantIdentity
from engine.domain.audit import AuditEntry
from engine.domain.campaigns import Campaign
from engine.domain.cap_groups import CapGroup
from engine.domain.cases import Case, Decision, Evidence, Found
from engine.domain.cashout import Redeemed, Thresholds
from engine.domain.ledger import Entry, Link
from engine.domain.listings import (
    AuditRecord,
    DueWebhook,
    MerchantKey,
    OpsCredential,
    SettlementDay,
    TillRedemption,
    VoucherLedgerEntry,
    WebhookDelivery,
)
from engine.domain.lottery import LotteryDraw
from engine.domain.payouts import BankResult, Batch, BatchRecord, BatchState, Payout, PayoutRecord
from engine.domain.profiles import WorkerRecord
from engine.domain.rebuild import LedgerFacts, VoucherFacts
from engine.domain.roles import Staff
from engine.domain.slots import Slot, SlotFill
from engine.domain.stations import Station
from engine.domain.vouchers import IssuedVoucher, VoucherRow
from engine.domain.watch import Seen, SeenReversal, Subjects
from engine.domain.webhooks import WebhookItem


class CampaignRecords(Protocol):
    """Campaign definitions, numbers, statuses, enrolments, cap groups, partner codes."""

    async def insert_campaign(self, campaign: Campaign) -> int | None:
        """Insert and enrol; None when a campaign with this id already exists."""

    async def update_campaign(self, campaign: Campaign, expected_version: int) -> int | None:
        """Store a new version; None when someone else changed the campaign meanwhile."""

    async def set_campaign_status(self, campaign_id: str, new: str, old: str) -> bool: ...
    async def get_campaign(self, campaign_id: str) -> Campaign | None: ...
    async def all_campaign_ids(self) -> list[str]: ...
    async def campaigns_with_live_vouchers(self) -> list[str]: ...
    async def live_campaigns(self) -> list[str]: ...
    async def campaign_id_by_number(self, number: int) -> str | None: ...
    async def valid_until_of_version(self, campaign_id: str, version: int) -> datetime | None:
        """When vouchers issued under that version of the definition expire."""

    async def insert_cap_group(self, group_id: str, period: str, max_fen: int) -> bool: ...
    async def cap_groups(self) -> list[CapGroup]: ...
    async def get_cap_group(self, group_id: str) -> CapGroup | None: ...
    async def insert_partner_codes(self, campaign_id: str, codes: Sequence[str]) -> list[str]: ...
    async def enrol_merchant(self, campaign_id: str, merchant_id: str) -> None: ...
    async def unenrol_merchant(self, campaign_id: str, merchant_id: str) -> bool: ...


class VoucherRecords(Protocol):
    """Issued vouchers."""

    async def upsert_vouchers(self, rows: Sequence[VoucherRow]) -> list[tuple[str, str]]:
        """Write a batch idempotently; return (claim id, the code stored for it)."""

    async def cancel_claim(self, claim_id: str, reason: str) -> bool:
        """Mark a voucher withdrawn (cancelled, and revoked for `reason`): a booking its
        worker cancelled, a payout operations cancelled. True for one cancelled before too,
        False when operations had revoked it."""

    async def voucher_by_claim(self, claim_id: str) -> IssuedVoucher | None: ...
    async def vouchers_of_worker(self, worker_id: str) -> list[IssuedVoucher]: ...
    async def voucher_by_serial(self, campaign_id: str, serial: int) -> IssuedVoucher | None: ...
    async def codes_by_short_code(self, short_code: str) -> list[str]:
        """The full codes a (normalised) short code names: one, none, or (55 bits being
        55 bits) rarely more."""

    async def revoke_voucher(self, campaign_id: str, serial: int, reason: str) -> str | None:
        """The revoked voucher's worker; None when there is no such voucher."""

    async def due_for_expiry(self, now: datetime, limit: int) -> list[tuple[str, int]]: ...
    async def mark_expired(self, vouchers: Sequence[tuple[str, int]]) -> None: ...
    async def issued_claim_ids(self, claim_ids: Sequence[str]) -> set[str]: ...
    async def rebuild_facts(
        self, campaign_id: str
    ) -> tuple[list[VoucherFacts], list[LedgerFacts], list[str]]:
        """Vouchers, ledger entries and unused partner codes of one campaign."""


class LedgerRecords(Protocol):
    """The merchants' ledger and settlement statements."""

    async def campaign_ledger(
        self, campaign_id: str, start: datetime, end: datetime
    ) -> list[tuple[datetime, int]]:
        """A campaign's ledger rows in [start, end): when, and the amount (negative for a
        reversal), in time order."""

    async def record_ledger(
        self,
        entries: Sequence[Entry],
        webhooks: Sequence[WebhookItem],
    ) -> list[Link]:
        """In one transaction: chain and insert the entries not yet in the ledger, queue the merchants' notifications (repeats ignored) and add the new entries to their settlement days (engine/domain/statements.py). Return the entries new to the ledger."""

    async def ledger_entry_ids(self, entry_ids: Sequence[str]) -> set[str]:
        """Which of these redemption and reversal ids the ledger holds."""

    async def ledger_chain(self, merchant_id: str | None = None) -> list[Link]: ...
    async def ledger_of_voucher(
        self, campaign_id: str, serial: int
    ) -> list[VoucherLedgerEntry]: ...
    async def settlements(
        self, merchant_id: str, first: date, last: date
    ) -> list[SettlementDay]: ...
    async def store_redemptions(
        self, merchant_id: str, store_id: str | None, start: datetime, end: datetime, most: int
    ) -> list[TillRedemption]:
        """Redemptions in [start, end), newest first, each with its reversed_fen."""


class MerchantRecords(Protocol):
    """Merchants, stores and API keys."""

    async def existing_merchants(self, ids: Sequence[str]) -> set[str]: ...
    async def insert_merchant(
        self, merchant_id: str, name: str, key_id: str, api_key: str
    ) -> bool: ...
    async def insert_merchant_key(
        self, key_id: str, merchant_id: str, store_id: str | None, api_key: str
    ) -> bool: ...
    async def revoke_merchant_key(self, key_id: str, merchant_id: str) -> bytes | None:
        """The revoked key's digest; None when there was no such active key."""

    async def merchant_keys(self, merchant_id: str) -> list[MerchantKey]: ...
    async def merchant_by_api_key(self, api_key: str) -> MerchantIdentity | None: ...
    async def insert_store(self, merchant_id: str, store_id: str, name: str) -> bool: ...
    async def merchant_exists(self, merchant_id: str) -> bool: ...


class WebhookRecords(Protocol):
    """Webhooks and their delivery outbox."""

    async def set_webhook(self, merchant_id: str, url: str, secret: str) -> None: ...
    async def delete_webhook(self, merchant_id: str) -> bool: ...
    async def lease_due_webhooks(self, limit: int, lease_s: float) -> list[DueWebhook]: ...
    async def webhook_delivered(self, merchant_id: str, event_id: str) -> None: ...
    async def webhook_failed(
        self, merchant_id: str, event_id: str, error: str, max_attempts: int, retry_in_s: float
    ) -> None: ...
    async def webhook_deliveries(self, merchant_id: str) -> list[WebhookDelivery]: ...


class WorkerRecords(Protocol):
    """The union's register of workers."""

    async def upsert_workers(self, workers: Sequence[WorkerRecord]) -> tuple[int, int]:
        """Write workers whose data differs; return (created, updated)."""

    async def get_worker(self, worker_id: str) -> WorkerRecord | None: ...
    async def revoke_worker_tokens(self, worker_id: str, before: int) -> None: ...
    async def token_revocations_since(self, since: datetime) -> list[tuple[str, int, datetime]]:
        """(worker id, revoked before (unix s), changed at) of revocations after `since`."""


class OperatorRecords(Protocol):
    """Operations credentials and the audit log."""

    async def insert_ops_credential(
        self, credential_id: str, staff: Staff, token: str, created_by: str
    ) -> None: ...
    async def ops_credential_staff(self, token: str) -> Staff | None:
        """Whose active credential the token is, and its role (None: nobody's)."""

    async def ops_credentials(self) -> list[OpsCredential]: ...
    async def revoke_ops_credential(self, credential_id: str) -> bool: ...


class AuditLog(Protocol):
    """The audit log, written in the transaction of the action it records."""

    def transaction(self) -> AbstractAsyncContextManager[object]:
        """Every record written inside commits together (nested: a savepoint)."""

    async def insert_audit(self, entry: AuditEntry) -> None: ...
    async def list_audit(
        self, target: str | None, action: str | None, limit: int
    ) -> list[AuditRecord]: ...


class LotteryRecords(Protocol):
    """Lottery registrations, commitment and draw."""

    async def register_for_lottery(self, campaign_id: str, worker_id: str, salt: str) -> str:
        """The registration's salt (the first one, if the worker registered before)."""

    async def lottery_registrants(self, campaign_id: str) -> list[tuple[str, str]]:
        """(worker id, salt) of every registrant."""

    async def lottery_salt(self, campaign_id: str, worker_id: str) -> str | None:
        """The worker's registration's salt; None when they have not registered."""

    async def insert_lottery_commitment(
        self, campaign_id: str, commitment: str, digest: str, count: int, stock: int, seed_hex: str
    ) -> bool:
        """False when the campaign's list was committed before (the first one stands)."""

    async def record_lottery_draw(self, campaign_id: str, winners: list[str]) -> None: ...
    async def get_lottery(self, campaign_id: str) -> LotteryDraw | None: ...


class StationRecords(Protocol):
    """A pick-up campaign's stations and the stock moved between them."""

    async def add_stations(self, campaign_id: str, stations: Sequence[Station]) -> None:
        """New stations with their stock; a known one's name, district and address change,
        its stock only by moves."""

    async def stations_of(self, campaign_id: str) -> list[Station]:
        """By station id."""

    async def record_move(
        self, campaign_id: str, move_id: str, source: str, target: str, packs: int
    ) -> bool:
        """The move and both stocks, in one transaction, once per move id (False: a retry)."""

    async def close_station(self, campaign_id: str, station_id: str) -> bool:
        """False when the campaign has no such station."""

    async def choose_station(self, claim_id: str, station_id: str) -> bool:
        """A pack claimed without a station gets this one; False when it had one."""

    async def station_pickups(self, campaign_id: str) -> dict[str, int]:
        """Packs handed out (and not given back) per station."""


class SlotRecords(Protocol):
    """A booking campaign's slots, how each is filled, and the bookings cancelled."""

    async def add_slots(self, campaign_id: str, slots: Sequence[Slot]) -> None:
        """New slots; a known one's service and provider name change, nothing else."""

    async def slots_of(self, campaign_id: str) -> list[Slot]:
        """By start, then slot id."""

    async def slot_fill(self, campaign_id: str, now: datetime) -> dict[str, SlotFill]:
        """By slot id; a slot no one booked is absent."""


class PayoutRecords(Protocol):
    """A payout campaign's payouts, their batches and each batch's lines."""

    async def add_payouts(self, campaign_id: str) -> int:
        """A payout for every voucher issued and not paid out yet whose worker has a bank
        account registered; how many were new."""

    async def pending_payouts(self, campaign_id: str, most: int) -> list[Payout]:
        """Owed and in no batch, by payout id, held until the transaction ends."""

    async def insert_batch(self, campaign_id: str, batch: Batch, payouts: Sequence[Payout]) -> bool:
        """The batch, its lines and its payouts' states; False when the batch id exists."""

    async def payout_batch(self, batch_id: str) -> BatchRecord | None: ...

    async def batch_payouts(self, batch_id: str) -> list[Payout]:
        """The batch's lines as paid (account and amount then), each payout's state now."""

    async def save_batch(
        self, batch: Batch, was: BatchState, file_sha256: str | None = None
    ) -> bool:
        """Move a batch on from the state it was read in; False when another request did."""

    async def save_payouts(self, payouts: Sequence[Payout]) -> None: ...
    async def save_results(self, batch_id: str, results: Sequence[BankResult]) -> None: ...

    async def payout(self, payout_id: str) -> PayoutRecord | None:
        """Held until the transaction ends."""

    async def payout_totals(self, campaign_id: str) -> dict[str, tuple[int, int]]:
        """By state: (payouts, fen)."""


class WatchRecords(Protocol):
    """The cash-out watch's redemptions and reversals as seen, its thresholds, its cases."""

    async def record_seen(
        self, redemptions: Sequence[Seen], reversals: Sequence[SeenReversal]
    ) -> None:
        """Each once: a redelivered event adds nothing."""

    async def watch_window(
        self, since: datetime, until: datetime, subjects: Subjects
    ) -> list[Redeemed]:
        """The redemptions in (since, until] of the subjects, each marked if reversed."""

    async def watch_thresholds(self) -> Thresholds: ...
    async def save_watch_thresholds(self, thresholds: Thresholds, by: str) -> None: ...

    async def open_cases(self, found: Sequence[Found]) -> None:
        """A case per hit, or its evidence added to the open case of its rule and subject."""

    async def cases(self, status: str | None, merchant_id: str | None, most: int) -> list[Case]:
        """Newest first."""

    async def case(self, case_id: str) -> Case | None:
        """Held until the transaction ends."""

    async def case_evidence(self, redemption_ids: Sequence[str]) -> list[Evidence]: ...
    async def hold_case(self, case_id: str) -> None: ...
    async def close_case(
        self, case_id: str, decision: Decision, note: str | None, by: str
    ) -> None: ...

    async def holding_cases(self, merchant_id: str) -> list[str]:
        """The open cases holding the merchant's settlement."""

    async def rebuild_watch(self, since: datetime) -> tuple[int, int]:
        """The redemptions and reversals from the ledger since then: how many were missing."""
