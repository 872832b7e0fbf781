"""Campaigns, vouchers, workers and lotteries in memory (CampaignRecords, VoucherRecords,
WorkerRecords, LotteryRecords), by the named queries' rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from engine.adapters.memory.tables import TableStore
from engine.domain.campaigns import Campaign, Status
from engine.domain.cap_groups import CapGroup
from engine.domain.clock import utc_from_ms
from engine.domain.lottery import LotteryDraw
from engine.domain.periods import Period
from engine.domain.profiles import WorkerRecord
from engine.domain.rebuild import LedgerFacts, VoucherFacts
from engine.domain.short_codes import short_code_of
from engine.domain.vouchers import IssuedVoucher, VoucherRow, voucher_use

_LIVE_STATUSES = (Status.SCHEDULED, Status.OPEN, Status.PAUSED)


class MemoryCampaignRecords(TableStore):
    async def insert_campaign(self, campaign: Campaign) -> int | None:
        if campaign.id in self.t.campaigns:
            return None
        number = max((x.number for x in self.t.campaigns.values()), default=0) + 1
        stored = replace(campaign, number=number, version=1)
        self.t.campaigns[campaign.id] = stored
        self.t.campaign_versions[(campaign.id, 1)] = stored
        return number

    async def update_campaign(self, campaign: Campaign, expected_version: int) -> int | None:
        held = self.t.campaigns.get(campaign.id)
        if held is None or held.version != expected_version:
            return None
        stored = replace(campaign, number=held.number, status=held.status, version=held.version + 1)
        self.t.campaigns[campaign.id] = stored
        self.t.campaign_versions[(campaign.id, stored.version)] = stored
        return stored.version

    async def set_campaign_status(self, campaign_id: str, new: str, old: str) -> bool:
        held = self.t.campaigns.get(campaign_id)
        if held is None or held.status.value != old:
            return False
        self.t.campaigns[campaign_id] = replace(held, status=Status(new))
        return True

    async def get_campaign(self, campaign_id: str) -> Campaign | None:
        held = self.t.campaigns.get(campaign_id)
        return None if held is None else replace(held, merchants=tuple(sorted(held.merchants)))

    async def all_campaign_ids(self) -> list[str]:
        return sorted(self.t.campaigns)

    async def campaigns_with_live_vouchers(self) -> list[str]:
        since = self.now() - timedelta(days=1)
        return sorted(c.id for c in self.t.campaigns.values() if c.valid_until > since)

    async def live_campaigns(self) -> list[str]:
        return sorted(c.id for c in self.t.campaigns.values() if c.status in _LIVE_STATUSES)

    async def campaign_id_by_number(self, number: int) -> str | None:
        return next((c.id for c in self.t.campaigns.values() if c.number == number), None)

    async def valid_until_of_version(self, campaign_id: str, version: int) -> datetime | None:
        held = self.t.campaign_versions.get((campaign_id, version))
        return None if held is None else held.valid_until

    async def insert_cap_group(self, group_id: str, period: str, max_fen: int) -> bool:
        if group_id in self.t.cap_groups:
            return False
        self.t.cap_groups[group_id] = CapGroup(group_id, Period(period), max_fen)
        return True

    async def cap_groups(self) -> list[CapGroup]:
        return [self.t.cap_groups[g] for g in sorted(self.t.cap_groups)]

    async def get_cap_group(self, group_id: str) -> CapGroup | None:
        return self.t.cap_groups.get(group_id)

    async def insert_partner_codes(self, campaign_id: str, codes: Sequence[str]) -> list[str]:
        held = self.t.partner_codes.setdefault(campaign_id, [])
        new = [c for c in dict.fromkeys(codes) if c not in held]
        held += new
        return new

    async def enrol_merchant(self, campaign_id: str, merchant_id: str) -> None:
        c = self.t.campaigns[campaign_id]
        if merchant_id not in c.merchants:
            self.t.campaigns[campaign_id] = replace(c, merchants=(*c.merchants, merchant_id))

    async def unenrol_merchant(self, campaign_id: str, merchant_id: str) -> bool:
        c = self.t.campaigns.get(campaign_id)
        if c is None or merchant_id not in c.merchants:
            return False
        kept = tuple(m for m in c.merchants if m != merchant_id)
        self.t.campaigns[campaign_id] = replace(c, merchants=kept)
        return True


class MemoryVoucherRecords(TableStore):
    async def upsert_vouchers(self, rows: Sequence[VoucherRow]) -> list[tuple[str, str]]:
        for row in rows:
            claim_id, campaign_id, serial, worker_id, face, key_id, code, valid_until = row[:8]
            admitted_at, version, partner_code, request_id, station_id = row[8:]
            self.t.vouchers.setdefault(
                claim_id,
                IssuedVoucher(
                    claim_id,
                    campaign_id,
                    serial,
                    worker_id,
                    face,
                    key_id,
                    code,
                    valid_until,
                    admitted_at,
                    self.now(),
                    version,
                    partner_code,
                    request_id,
                    station_id=station_id,
                ),
            )
        return [(row[0], self.t.vouchers[row[0]].code) for row in rows]

    async def cancel_claim(self, claim_id: str, reason: str) -> bool:
        held = self.t.vouchers.get(claim_id)
        if held is None or (held.revoked_at is not None and held.cancelled_at is None):
            return False
        if held.cancelled_at is None:
            at = self.now()
            self.t.vouchers[claim_id] = replace(
                held, cancelled_at=at, revoked_at=at, revoked_reason=reason
            )
        return True

    async def voucher_by_claim(self, claim_id: str) -> IssuedVoucher | None:
        held = self.t.vouchers.get(claim_id)
        return None if held is None else self._with_use(held)

    async def vouchers_of_worker(self, worker_id: str) -> list[IssuedVoucher]:
        held = [v for v in self.t.vouchers.values() if v.worker_id == worker_id]
        return [self._with_use(v) for v in sorted(held, key=lambda v: (v.issued_at, v.claim_id))]

    async def codes_by_short_code(self, short_code: str) -> list[str]:
        return [v.code for v in self.t.vouchers.values() if short_code_of(v.code) == short_code]

    async def voucher_by_serial(self, campaign_id: str, serial: int) -> IssuedVoucher | None:
        held = self._by_serial(campaign_id, serial)
        return None if held is None else self._with_use(held)

    async def revoke_voucher(self, campaign_id: str, serial: int, reason: str) -> str | None:
        held = self._by_serial(campaign_id, serial)
        if held is None:
            return None
        revoked = replace(held, revoked_at=held.revoked_at or self.now(), revoked_reason=reason)
        self.t.vouchers[held.claim_id] = revoked
        return held.worker_id

    async def due_for_expiry(self, now: datetime, limit: int) -> list[tuple[str, int]]:
        due = [
            v
            for v in self.t.vouchers.values()
            if v.valid_until <= now and v.expired_at is None and self._used(v) < v.face_value_fen
        ]
        due.sort(key=lambda v: v.valid_until)
        return [(v.campaign_id, v.serial) for v in due[:limit]]

    async def mark_expired(self, vouchers: Sequence[tuple[str, int]]) -> None:
        for campaign_id, serial in vouchers:
            held = self._by_serial(campaign_id, serial)
            if held is not None and held.expired_at is None:
                self.t.vouchers[held.claim_id] = replace(held, expired_at=self.now())

    async def issued_claim_ids(self, claim_ids: Sequence[str]) -> set[str]:
        return {c for c in claim_ids if c in self.t.vouchers}

    async def rebuild_facts(
        self, campaign_id: str
    ) -> tuple[list[VoucherFacts], list[LedgerFacts], list[str]]:
        vouchers = [v for v in self.t.vouchers.values() if v.campaign_id == campaign_id]
        facts = [
            VoucherFacts(
                v.claim_id,
                v.serial,
                v.worker_id,
                v.face_value_fen,
                v.admitted_at,
                v.valid_until,
                v.partner_code,
                v.expired_at is not None,
                None if v.revoked_at is None else v.revoked_reason or "",
                v.station_id,
                v.cancelled_at is not None,
            )
            for v in vouchers
        ]
        ledger = [
            LedgerFacts(
                e.entry_id,
                e.kind,
                e.merchant_id,
                e.serial,
                e.amount_fen,
                e.face_value_fen,
                e.reverses,
                e.store_id,
                e.terminal_id,
                utc_from_ms(e.occurred_ms),
                e.order_fen,
            )
            for e in (link.entry for link in self.t.ledger)
            if e.campaign_id == campaign_id
        ]
        used = {v.partner_code for v in vouchers}
        unused = [c for c in self.t.partner_codes.get(campaign_id, []) if c not in used]
        return facts, ledger, unused

    def _by_serial(self, campaign_id: str, serial: int) -> IssuedVoucher | None:
        return next(
            (
                v
                for v in self.t.vouchers.values()
                if (v.campaign_id, v.serial) == (campaign_id, serial)
            ),
            None,
        )

    def _used(self, voucher: IssuedVoucher) -> int:
        return sum(
            voucher_use(link.entry.amount_fen, link.entry.face_value_fen, link.entry.order_fen)
            for link in self.t.ledger
            if (link.entry.campaign_id, link.entry.serial) == (voucher.campaign_id, voucher.serial)
        )

    def _with_use(self, voucher: IssuedVoucher) -> IssuedVoucher:
        return replace(voucher, used_fen=self._used(voucher))


class MemoryWorkerRecords(TableStore):
    async def upsert_workers(self, workers: Sequence[WorkerRecord]) -> tuple[int, int]:
        created = updated = 0
        for w in workers:
            held = self.t.workers.get(w.id)
            if held is None:
                created += 1
            elif (held.category, held.profile) != (w.category, w.profile):
                updated += 1
            else:
                continue
            self.t.workers[w.id] = w
        return created, updated

    async def get_worker(self, worker_id: str) -> WorkerRecord | None:
        return self.t.workers.get(worker_id)

    async def revoke_worker_tokens(self, worker_id: str, before: int) -> None:
        held = self.t.token_revocations.get(worker_id, (0, self.now()))[0]
        self.t.token_revocations[worker_id] = (max(held, before), self.now())

    async def token_revocations_since(self, since: datetime) -> list[tuple[str, int, datetime]]:
        found = [(w, b, at) for w, (b, at) in self.t.token_revocations.items() if at > since]
        return sorted(found, key=lambda r: r[2])


class MemoryLotteryRecords(TableStore):
    async def register_for_lottery(self, campaign_id: str, worker_id: str, salt: str) -> str:
        return self.t.lottery_registrations.setdefault(campaign_id, {}).setdefault(worker_id, salt)

    async def lottery_salt(self, campaign_id: str, worker_id: str) -> str | None:
        return self.t.lottery_registrations.get(campaign_id, {}).get(worker_id)

    async def lottery_registrants(self, campaign_id: str) -> list[tuple[str, str]]:
        return sorted(self.t.lottery_registrations.get(campaign_id, {}).items())

    async def insert_lottery_commitment(
        self, campaign_id: str, commitment: str, digest: str, count: int, stock: int, seed_hex: str
    ) -> bool:
        if campaign_id in self.t.lottery_draws:
            return False
        self.t.lottery_draws[campaign_id] = LotteryDraw(
            campaign_id, commitment, digest, count, stock, seed_hex, None, self.now(), None
        )
        return True

    async def record_lottery_draw(self, campaign_id: str, winners: list[str]) -> None:
        held = self.t.lottery_draws.get(campaign_id)
        if held is not None:
            drawn_at = held.drawn_at or self.now()
            self.t.lottery_draws[campaign_id] = replace(held, winners=winners, drawn_at=drawn_at)

    async def get_lottery(self, campaign_id: str) -> LotteryDraw | None:
        return self.t.lottery_draws.get(campaign_id)
