"""`nuanxin ledger verify`: walk every merchant's hash chain in PostgreSQL."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from engine.adapters import postgres
from engine.domain.ledger import first_break
from engine.settings import Settings


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
