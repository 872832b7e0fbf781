"""Merchant accounts: stores, API keys (shown once, stored hashed, revocable at once),
enrolment in campaigns, and settlement statements with a digest."""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Any, Protocol
from urllib.parse import urlsplit

from engine.domain.audit import Actor, AuditEntry
from engine.domain.listings import document
from engine.domain.webhooks import IPNetwork, RefusedAddress
from engine.errors import Conflict, NotFound, ValidationFailed
from engine.usecases.merchant_keys import MerchantKeys
from engine.usecases.ports import (
    AuditLog,
    CampaignRecords,
    LedgerRecords,
    LiveDefinitions,
    MerchantRecords,
    WatchRecords,
    WebhookRecords,
)
from engine.usecases.read_caches import Campaigns


class Records(
    CampaignRecords,
    MerchantRecords,
    WebhookRecords,
    LedgerRecords,
    WatchRecords,
    AuditLog,
    Protocol,
):
    """Merchants, their keys and webhooks, their enrolments and settlements (and the
    cash-out watch's holds on them); every change audited in its own transaction."""


SETTLEMENT_COLUMNS = (
    "merchant_id",
    "day",
    "redemptions",
    "redeemed_fen",
    "reversals",
    "reversed_fen",
    "net_fen",
)


MERCHANT_KEY_PREFIX = "nxm_"


def new_api_key() -> str:
    return f"{MERCHANT_KEY_PREFIX}{secrets.token_urlsafe(32)}"


# Resolves a webhook host and raises RefusedAddress unless every address may be reached.
CheckHost = Callable[[str, int, Sequence[IPNetwork]], Awaitable[None]]


class Merchants:
    def __init__(
        self,
        *,
        live: LiveDefinitions,
        records: Records,
        campaigns: Campaigns,
        check_host: CheckHost,
        keys: MerchantKeys,
    ) -> None:
        self.live, self.db, self.campaigns = live, records, campaigns
        self.check_host, self.merchant_keys = check_host, keys

    async def _audit(self, by: Actor, action: str, merchant_id: str, **change: Any) -> None:
        await self.db.insert_audit(AuditEntry.of(by, action, f"merchant:{merchant_id}", **change))

    async def create(self, merchant_id: str, name: str, by: Actor) -> dict[str, Any]:
        """Create the merchant with its first key; the key is in this answer only."""
        api_key = new_api_key()
        key_id = f"k-{secrets.token_hex(6)}"
        async with self.db.transaction():
            if not await self.db.insert_merchant(merchant_id, name, key_id, api_key):
                raise Conflict(f"merchant {merchant_id} already exists")
            after = {"name": name, "key_id": key_id}
            await self._audit(by, "merchant.create", merchant_id, after=after)
        return {"id": merchant_id, "key_id": key_id, "api_key": api_key}

    async def add_store(self, merchant_id: str, store_id: str, name: str, by: Actor) -> bool:
        """True when the store is new (a repeat changes nothing)."""
        await self._require(merchant_id)
        async with self.db.transaction():
            created = await self.db.insert_store(merchant_id, store_id, name)
            if created:
                after = {"store_id": store_id, "name": name}
                await self._audit(by, "merchant.store_add", merchant_id, after=after)
        return created

    async def issue_key(self, merchant_id: str, store_id: str | None, by: Actor) -> dict[str, Any]:
        await self._require(merchant_id)
        async with self.db.transaction():
            issued = await self._issue_key(merchant_id, store_id)
            after = {"key_id": issued["key_id"], "store_id": store_id}
            await self._audit(by, "merchant.key_issue", merchant_id, after=after)
        return issued

    async def _issue_key(self, merchant_id: str, store_id: str | None) -> dict[str, Any]:
        api_key, key_id = new_api_key(), f"k-{secrets.token_hex(6)}"
        if not await self.db.insert_merchant_key(key_id, merchant_id, store_id, api_key):
            raise ValidationFailed(f"merchant {merchant_id} has no store {store_id}")
        return {
            "key_id": key_id,
            "merchant_id": merchant_id,
            "store_id": store_id,
            "api_key": api_key,
        }

    async def revoke_key(self, merchant_id: str, key_id: str, by: Actor) -> None:
        """Takes effect on the next request: keys are looked up on every request."""
        async with self.db.transaction():
            digest = await self._revoke_key(merchant_id, key_id)
            await self._audit(by, "merchant.key_revoke", merchant_id, after={"key_id": key_id})
        await self.merchant_keys.revoked(digest)

    async def _revoke_key(self, merchant_id: str, key_id: str) -> bytes:
        digest = await self.db.revoke_merchant_key(key_id, merchant_id)
        if digest is None:
            raise NotFound(f"No active key {key_id} for merchant {merchant_id}")
        return digest

    async def rotate_key(
        self, merchant_id: str, key_id: str, store_id: str | None, by: Actor
    ) -> dict[str, Any]:
        """A new key for the same merchant and store; the old one stops in the same commit."""
        await self._require(merchant_id)
        async with self.db.transaction():
            new = await self._issue_key(merchant_id, store_id)
            digest = await self._revoke_key(merchant_id, key_id)
            await self._audit(
                by,
                "merchant.key_rotate",
                merchant_id,
                before={"key_id": key_id},
                after={"key_id": new["key_id"]},
            )
        await self.merchant_keys.revoked(digest)
        return new

    async def keys(self, merchant_id: str) -> list[dict[str, Any]]:
        await self._require(merchant_id)
        return [document(k) for k in await self.db.merchant_keys(merchant_id)]

    async def enrol(self, campaign_id: str, merchant_id: str, by: Actor) -> None:
        await self.campaigns.get(campaign_id)
        await self._require(merchant_id)
        async with self.db.transaction():
            await self.db.enrol_merchant(campaign_id, merchant_id)
            entry = AuditEntry.of(
                by, "campaign.enrol", f"campaign:{campaign_id}", after={"merchant_id": merchant_id}
            )
            await self.db.insert_audit(entry)
        await self.live.enrol(campaign_id, merchant_id)

    async def unenrol(self, campaign_id: str, merchant_id: str, by: Actor) -> None:
        """End an enrolment: the merchant's next redemption of the campaign is refused."""
        await self.campaigns.get(campaign_id)
        async with self.db.transaction():
            if not await self.db.unenrol_merchant(campaign_id, merchant_id):
                raise NotFound(f"merchant {merchant_id} is not enrolled in {campaign_id}")
            entry = AuditEntry.of(
                by,
                "campaign.unenrol",
                f"campaign:{campaign_id}",
                before={"merchant_id": merchant_id},
            )
            await self.db.insert_audit(entry)
        await self.live.unenrol(campaign_id, merchant_id)
        self.campaigns.forget(campaign_id)

    async def settlements(self, merchant_id: str, first: date, last: date) -> list[dict[str, Any]]:
        await self._require(merchant_id)
        return [document(d) for d in await self.db.settlements(merchant_id, first, last)]

    async def holds(self, merchant_id: str) -> dict[str, Any]:
        """Whether the merchant's settlement is held, and by which open cases of the
        cash-out watch (engine/usecases/watch.py)."""
        cases = await self.db.holding_cases(merchant_id)
        return {"held": bool(cases), "held_by_cases": cases}

    async def settlement_export(
        self, merchant_id: str, first: date, last: date
    ) -> tuple[str, dict[str, Any]]:
        """The statements as CSV and a manifest stating the CSV's SHA-256."""
        rows = await self.settlements(merchant_id, first, last)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(SETTLEMENT_COLUMNS)
        writer.writerows([r[c] for c in SETTLEMENT_COLUMNS] for r in rows)
        text = out.getvalue()
        name = f"settlements-{merchant_id}-{first.isoformat()}-{last.isoformat()}.csv"
        manifest = {
            "file": name,
            "sha256": hashlib.sha256(text.encode()).hexdigest(),
            "rows": len(rows),
            "merchant_id": merchant_id,
            "from": first.isoformat(),
            "to": last.isoformat(),
            "net_fen": sum(r["net_fen"] for r in rows),
        } | await self.holds(merchant_id)
        return text, manifest

    async def set_webhook(
        self,
        merchant_id: str,
        url: str,
        by: Actor,
        allow_http: bool,
        trusted: Sequence[IPNetwork] = (),
    ) -> dict[str, Any]:
        """Register (or replace) the URL; a new signing secret is returned this once."""
        await self._require(merchant_id)
        parts = urlsplit(url)
        schemes = ("https", "http") if allow_http else ("https",)
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            port = 0
        if (
            parts.scheme not in schemes
            or not parts.hostname
            or parts.username
            or parts.password
            or not port
        ):
            raise ValidationFailed(f"the webhook URL must be {' or '.join(schemes)} with a host")
        try:
            await self.check_host(parts.hostname, port, trusted)
        except RefusedAddress:
            # One answer for every refusal: which internal hosts exist is not the caller's
            # business.
            raise ValidationFailed(
                "the webhook host must resolve to public internet addresses only"
            ) from None
        secret = f"whsec_{secrets.token_urlsafe(32)}"
        hook = {"merchant_id": merchant_id, "url": url, "secret": secret}
        async with self.db.transaction():
            await self.db.set_webhook(merchant_id, url, secret)
            await self._audit(by, "webhook.set", merchant_id, after=hook)
        return hook

    async def delete_webhook(self, merchant_id: str, by: Actor) -> None:
        async with self.db.transaction():
            if not await self.db.delete_webhook(merchant_id):
                raise NotFound(f"merchant {merchant_id} has no webhook")
            await self._audit(by, "webhook.delete", merchant_id)

    async def webhook_deliveries(self, merchant_id: str) -> list[dict[str, Any]]:
        await self._require(merchant_id)
        return [document(d) for d in await self.db.webhook_deliveries(merchant_id)]

    async def _require(self, merchant_id: str) -> None:
        if not await self.db.merchant_exists(merchant_id):
            raise NotFound(f"No merchant {merchant_id}")
