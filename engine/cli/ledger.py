"""`nuanxin ledger verify`: walk every merchant's hash chain in PostgreSQL; `nuanxin
watch rebuild`: the cash-out watch's redemptions again from the ledger."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from engine.adapters import postgres
from engine.domain.ledger import first_break
from engine.settings import Settings
from engine.usecases.watch import Watch


async def verify_chains(settings: Settings, merchant_id: str | None) -> dict[str, Any]:
    db = await postgres.connect(settings.database_url.get_secret_value(), 2)
    try:
        links = await db.ledger_chain(merchant_id)
    finally:
        await db.close()
    broken = first_break(links)
    return {
        "rows": len(links),
        "merchants": len({link.entry.merchant_id for link in links}),
        "broken": asdict(broken) if broken else None,
    }


async def rebuild_watch(settings: Settings, hours: int) -> dict[str, int]:
    db = await postgres.connect(settings.database_url.get_secret_value(), 2)
    try:
        since = datetime.now(UTC) - timedelta(hours=hours)
        return await Watch(records=db).rebuild(since)
    finally:
        await db.close()
