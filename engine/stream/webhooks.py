"""Timer 'webhooks': deliver queued notifications, signed, retried with backoff."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit

import aiohttp
import structlog

from engine.adapters.webhook_hosts import GuardedResolver, is_ip_literal
from engine.domain.listings import DueWebhook
from engine.domain.webhooks import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    RefusedAddress,
    address_refused,
    backoff_s,
    sign,
)
from engine.settings import Settings
from engine.stream.resources import Resources

log = structlog.get_logger("engine.stream.webhooks")
LEASE_S = 60.0


async def deliver_due(resources: Resources, settings: Settings) -> int:
    """Send what is due; return how many were delivered now."""
    due = await resources.db.lease_due_webhooks(100, LEASE_S)
    if not due:
        return 0
    # Every connection resolves through the guard, so the address checked is the one used.
    connector = aiohttp.TCPConnector(resolver=GuardedResolver(settings.webhook_trusted))
    async with aiohttp.ClientSession(connector=connector) as session:
        results = await asyncio.gather(*(_deliver(resources, session, settings, d) for d in due))
    return sum(results)


async def _deliver(
    resources: Resources, session: aiohttp.ClientSession, settings: Settings, delivery: DueWebhook
) -> bool:
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(delivery.secret, int(time.time()), delivery.body),
        EVENT_ID_HEADER: delivery.event_id,
    }
    host = urlsplit(delivery.url).hostname or ""
    try:
        if is_ip_literal(host) and address_refused(host, settings.webhook_trusted):
            raise RefusedAddress(host)  # literals skip the resolver
        timeout = aiohttp.ClientTimeout(total=settings.webhook_timeout_s)
        async with session.post(
            delivery.url,
            data=delivery.body.encode(),
            headers=headers,
            timeout=timeout,
            allow_redirects=False,
        ) as response:
            if 200 <= response.status < 300:
                await resources.db.webhook_delivered(delivery.merchant_id, delivery.event_id)
                return True
            error = f"HTTP {response.status}"
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        # Coarse on purpose: the merchant reads this, and "refused" against "timed out"
        # would tell them which of the operator's hosts and ports exist.
        error = "address-refused" if _refused(exc) else "unreachable"
    retry_in = backoff_s(delivery.attempts + 1, settings.webhook_base_delay_s)
    log.info(
        "webhook delivery failed",
        merchant_id=delivery.merchant_id,
        event_id=delivery.event_id,
        attempt=delivery.attempts + 1,
        error=error,
        retry_in_s=retry_in,
    )
    await resources.db.webhook_failed(
        delivery.merchant_id, delivery.event_id, error, settings.webhook_max_attempts, retry_in
    )
    return False


def _refused(exc: BaseException) -> bool:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, RefusedAddress):
            return True
        cause = cause.__cause__ or cause.__context__
    return False
