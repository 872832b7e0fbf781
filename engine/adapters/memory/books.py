"""The ledger, merchants, webhooks, operators and the audit log in memory (LedgerRecords,
MerchantRecords, WebhookRecords, OperatorRecords, AuditLog), by the named queries' rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta

from engine.adapters.memory.tables import DeliveryRow, MerchantKeyRow, TableStore
from engine.domain.api_keys import MerchantIdentity, key_digest
from engine.domain.audit import AuditEntry
from engine.domain.clock import ms_from_utc, utc_from_ms
from engine.domain.ledger import GENESIS, Entry, Link, extend
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
from engine.domain.roles import Role, Staff
from engine.domain.statements import added, day_totals
from engine.domain.webhooks import WebhookItem


class MemoryLedgerRecords(TableStore):
    async def campaign_ledger(
        self, campaign_id: str, start: datetime, end: datetime
    ) -> list[tuple[datetime, int]]:
        rows = [
            (utc_from_ms(link.entry.occurred_ms), link.entry.amount_fen, link.entry.entry_id)
            for link in self.t.ledger
            if link.entry.campaign_id == campaign_id
        ]
        return [(at, amount) for at, amount, _ in sorted(rows) if start <= at < end]

    async def record_ledger(
        self,
        entries: Sequence[Entry],
        webhooks: Sequence[WebhookItem],
    ) -> list[Link]:
        present = {link.entry.entry_id for link in self.t.ledger}
        links: list[Link] = []
        for merchant in sorted({e.merchant_id for e in entries}):
            new = {
                e.entry_id: e
                for e in entries
                if e.merchant_id == merchant and e.entry_id not in present
            }
            head = self._head(merchant)
            links += extend(
                head.seq if head else 0, head.hash if head else GENESIS, list(new.values())
            )
        self.t.ledger += links
        for merchant_id, event_id, event_type, body in webhooks:
            if merchant_id in self.t.webhooks and (merchant_id, event_id) not in self.t.deliveries:
                self.t.deliveries[(merchant_id, event_id)] = DeliveryRow(
                    merchant_id, event_id, event_type, body, self.now(), self.now()
                )
        for total in day_totals(link.entry for link in links):
            held = self.t.settlement_days.get((total.merchant_id, total.day))
            self.t.settlement_days[(total.merchant_id, total.day)] = (
                added(held, total) if held else total
            )
        return links

    async def ledger_entry_ids(self, entry_ids: Sequence[str]) -> set[str]:
        wanted = set(entry_ids)
        return {link.entry.entry_id for link in self.t.ledger if link.entry.entry_id in wanted}

    async def ledger_chain(self, merchant_id: str | None = None) -> list[Link]:
        chain = [
            link
            for link in self.t.ledger
            if merchant_id is None or link.entry.merchant_id == merchant_id
        ]
        return sorted(chain, key=lambda link: (link.entry.merchant_id, link.seq))

    async def ledger_of_voucher(self, campaign_id: str, serial: int) -> list[VoucherLedgerEntry]:
        links = [
            link
            for link in self.t.ledger
            if (link.entry.campaign_id, link.entry.serial) == (campaign_id, serial)
        ]
        links.sort(key=lambda link: (link.entry.occurred_ms, link.seq))
        return [
            VoucherLedgerEntry(
                e.entry_id,
                e.kind,
                e.merchant_id,
                e.amount_fen,
                e.store_id,
                e.terminal_id,
                utc_from_ms(e.occurred_ms),
                e.request_id,
            )
            for e in (link.entry for link in links)
        ]

    async def settlements(self, merchant_id: str, first: date, last: date) -> list[SettlementDay]:
        found = [
            s
            for (m, day), s in self.t.settlement_days.items()
            if m == merchant_id and first <= day <= last
        ]
        return sorted(found, key=lambda s: s.day)

    async def store_redemptions(
        self, merchant_id: str, store_id: str | None, start: datetime, end: datetime, most: int
    ) -> list[TillRedemption]:
        lo, hi = ms_from_utc(start), ms_from_utc(end)
        found = []
        for e in (link.entry for link in self.t.ledger):
            if e.kind != "redemption" or e.merchant_id != merchant_id:
                continue
            if (store_id is not None and e.store_id != store_id) or not lo <= e.occurred_ms < hi:
                continue
            reversed_fen = -sum(
                link.entry.amount_fen for link in self.t.ledger if link.entry.reverses == e.entry_id
            )
            found.append(
                TillRedemption(
                    e.entry_id,
                    e.campaign_id,
                    e.serial,
                    e.amount_fen,
                    e.face_value_fen,
                    e.store_id,
                    e.terminal_id,
                    utc_from_ms(e.occurred_ms),
                    reversed_fen,
                )
            )
        found.sort(key=lambda r: r.occurred_at, reverse=True)
        return found[:most]

    def _head(self, merchant_id: str) -> Link | None:
        return max(
            (link for link in self.t.ledger if link.entry.merchant_id == merchant_id),
            key=lambda link: link.seq,
            default=None,
        )


class MemoryMerchantRecords(TableStore):
    async def existing_merchants(self, ids: Sequence[str]) -> set[str]:
        return {m for m in ids if m in self.t.merchants}

    async def insert_merchant(self, merchant_id: str, name: str, key_id: str, api_key: str) -> bool:
        if merchant_id in self.t.merchants:
            return False
        self.t.merchants[merchant_id] = name
        return await self.insert_merchant_key(key_id, merchant_id, None, api_key)

    async def insert_merchant_key(
        self, key_id: str, merchant_id: str, store_id: str | None, api_key: str
    ) -> bool:
        if merchant_id not in self.t.merchants or (
            store_id is not None and (merchant_id, store_id) not in self.t.stores
        ):
            return False
        if key_id in self.t.merchant_keys:
            raise ValueError(f"merchant key {key_id} exists")  # a primary key, as in PostgreSQL
        identity = MerchantIdentity(merchant_id, store_id, key_id)
        self.t.merchant_keys[key_id] = MerchantKeyRow(identity, key_digest(api_key), self.now())
        return True

    async def revoke_merchant_key(self, key_id: str, merchant_id: str) -> bytes | None:
        row = self.t.merchant_keys.get(key_id)
        if row is None or row.identity.merchant_id != merchant_id or row.revoked_at is not None:
            return None
        row.revoked_at = self.now()
        return row.digest

    async def merchant_keys(self, merchant_id: str) -> list[MerchantKey]:
        rows = [r for r in self.t.merchant_keys.values() if r.identity.merchant_id == merchant_id]
        rows.sort(key=lambda r: (r.created_at, r.identity.key_id))
        return [
            MerchantKey(r.identity.key_id, r.identity.store_id, r.created_at, r.revoked_at)
            for r in rows
        ]

    async def merchant_by_api_key(self, api_key: str) -> MerchantIdentity | None:
        digest = key_digest(api_key)
        return next(
            (
                r.identity
                for r in self.t.merchant_keys.values()
                if r.digest == digest and r.revoked_at is None
            ),
            None,
        )

    async def insert_store(self, merchant_id: str, store_id: str, name: str) -> bool:
        if merchant_id not in self.t.merchants or (merchant_id, store_id) in self.t.stores:
            return False
        self.t.stores.add((merchant_id, store_id))
        return True

    async def merchant_exists(self, merchant_id: str) -> bool:
        return merchant_id in self.t.merchants


class MemoryWebhookRecords(TableStore):
    async def set_webhook(self, merchant_id: str, url: str, secret: str) -> None:
        self.t.webhooks[merchant_id] = (url, secret)

    async def delete_webhook(self, merchant_id: str) -> bool:
        return self.t.webhooks.pop(merchant_id, None) is not None

    async def lease_due_webhooks(self, limit: int, lease_s: float) -> list[DueWebhook]:
        due = [
            d
            for d in self.t.deliveries.values()
            if d.status == "pending"
            and d.next_attempt_at <= self.now()
            and d.merchant_id in self.t.webhooks
        ]
        due.sort(key=lambda d: d.next_attempt_at)
        leased = []
        for d in due[:limit]:
            d.next_attempt_at = self.now() + timedelta(seconds=lease_s)
            url, secret = self.t.webhooks[d.merchant_id]
            leased.append(
                DueWebhook(d.merchant_id, d.event_id, d.event_type, d.body, d.attempts, url, secret)
            )
        return leased

    async def webhook_delivered(self, merchant_id: str, event_id: str) -> None:
        d = self.t.deliveries.get((merchant_id, event_id))
        if d is not None:
            d.status, d.attempts, d.last_error = "delivered", d.attempts + 1, None
            d.delivered_at = self.now()

    async def webhook_failed(
        self, merchant_id: str, event_id: str, error: str, max_attempts: int, retry_in_s: float
    ) -> None:
        d = self.t.deliveries.get((merchant_id, event_id))
        if d is not None:
            d.attempts, d.last_error = d.attempts + 1, error[:500]
            d.status = "failed" if d.attempts >= max_attempts else "pending"
            d.next_attempt_at = self.now() + timedelta(seconds=retry_in_s)

    async def webhook_deliveries(self, merchant_id: str) -> list[WebhookDelivery]:
        rows = [d for d in self.t.deliveries.values() if d.merchant_id == merchant_id]
        rows.sort(key=lambda d: d.event_id)
        rows.sort(key=lambda d: d.created_at, reverse=True)
        return [
            WebhookDelivery(
                d.event_id,
                d.event_type,
                d.status,
                d.attempts,
                d.last_error,
                d.created_at,
                d.delivered_at,
                d.next_attempt_at,
            )
            for d in rows[:200]
        ]


class MemoryOperatorRecords(TableStore):
    async def insert_ops_credential(
        self, credential_id: str, staff: Staff, token: str, created_by: str
    ) -> None:
        credential = OpsCredential(
            credential_id,
            staff.name,
            created_by,
            self.now(),
            None,
            staff.role.value,
            staff.payer_id,
        )
        self.t.ops_credentials[credential_id] = (credential, key_digest(token))

    async def ops_credential_staff(self, token: str) -> Staff | None:
        digest = key_digest(token)
        return next(
            (
                Staff(c.name, Role(c.role), c.payer_id)
                for c, held in self.t.ops_credentials.values()
                if held == digest and c.revoked_at is None
            ),
            None,
        )

    async def ops_credentials(self) -> list[OpsCredential]:
        return sorted(
            (c for c, _ in self.t.ops_credentials.values()),
            key=lambda c: (c.created_at, c.credential_id),
        )

    async def revoke_ops_credential(self, credential_id: str) -> bool:
        held = self.t.ops_credentials.get(credential_id)
        if held is None or held[0].revoked_at is not None:
            return False
        self.t.ops_credentials[credential_id] = (replace(held[0], revoked_at=self.now()), held[1])
        return True

    async def insert_audit(self, entry: AuditEntry) -> None:
        self.t.audit.append(
            AuditRecord(
                len(self.t.audit) + 1,
                self.now(),
                entry.actor.name,
                entry.action,
                entry.target,
                entry.before,
                entry.after,
                entry.actor.request_id,
            )
        )

    async def list_audit(
        self, target: str | None, action: str | None, limit: int
    ) -> list[AuditRecord]:
        found = [
            r
            for r in reversed(self.t.audit)
            if (target is None or r.target == target) and (action is None or r.action == action)
        ]
        return found[:limit]
