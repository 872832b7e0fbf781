"""Merchants' webhooks and the outbox of deliveries, leased with SKIP LOCKED."""

from __future__ import annotations

from engine.adapters.failures import translated
from engine.adapters.postgres.base import Queries, decoded
from engine.domain.listings import DueWebhook, WebhookDelivery


@translated
class WebhookRecords(Queries):
    async def set_webhook(self, merchant_id: str, url: str, secret: str) -> None:
        await self.db().execute(self.q["set_webhook"], merchant_id, url, secret)

    async def delete_webhook(self, merchant_id: str) -> bool:
        return await self.db().fetchval(self.q["delete_webhook"], merchant_id) is not None

    async def lease_due_webhooks(self, limit: int, lease_s: float) -> list[DueWebhook]:
        rows = await self.db().fetch(self.q["lease_due_webhooks"], limit, lease_s)
        return decoded(DueWebhook, rows)

    async def webhook_delivered(self, merchant_id: str, event_id: str) -> None:
        await self.db().execute(self.q["webhook_delivered"], merchant_id, event_id)

    async def webhook_failed(
        self, merchant_id: str, event_id: str, error: str, max_attempts: int, retry_in_s: float
    ) -> None:
        await self.db().execute(
            self.q["webhook_failed"], merchant_id, event_id, error[:500], max_attempts, retry_in_s
        )

    async def webhook_deliveries(self, merchant_id: str) -> list[WebhookDelivery]:
        rows = await self.db().fetch(self.q["webhook_deliveries"], merchant_id)
        return decoded(WebhookDelivery, rows)
