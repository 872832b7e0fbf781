"""What the records say: vouchers, ledger rows, parked events."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any

from aiokafka import AIOKafkaConsumer

from engine.events import DEAD_LETTER
from engine.settings import Settings
from tests.helpers.waiting import wait_for


async def ledger_rows(db: Any, campaign_id: str) -> list[Any]:
    rows: list[Any] = await db.fetch(
        "SELECT * FROM ledger WHERE campaign_id = $1 ORDER BY merchant_id, seq", campaign_id
    )
    return rows


async def ledger_rows_when(db: Any, campaign_id: str, n: int) -> list[Any] | None:
    """A campaign's ledger rows once there are n of them (never more)."""
    rows = await ledger_rows(db, campaign_id)
    assert len(rows) <= n
    return rows if len(rows) == n else None


async def ledger_verify(engine: Any, merchant_id: str) -> subprocess.CompletedProcess[str]:
    """`nuanxin ledger verify` for one merchant, as an operator runs it."""
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "engine.cli.main", "ledger", "verify", "--merchant", merchant_id],
        env=engine.env,
        capture_output=True,
        text=True,
        check=False,
    )


async def vouchers_of(db: Any, campaign_id: str) -> list[Any]:
    rows: list[Any] = await db.fetch(
        "SELECT claim_id, serial, worker_id, code FROM vouchers WHERE campaign_id = $1",
        campaign_id,
    )
    return rows


async def issued(db: Any, campaign_id: str, n: int) -> list[Any]:
    async def enough() -> list[Any] | None:
        rows = await vouchers_of(db, campaign_id)
        assert len(rows) <= n, f"{len(rows)} vouchers, more than the {n} admitted"
        return rows if len(rows) == n else None

    rows = await wait_for(enough, timeout_s=90)
    assert rows is not None
    return rows


async def parked(settings: Settings, ids: set[str]) -> dict[str, dict[str, Any]]:
    """The dead-letter entries of the events with these claim or redemption ids, once all
    of them are there."""
    consumer = AIOKafkaConsumer(
        settings.topic(DEAD_LETTER),
        bootstrap_servers=settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        found: dict[str, dict[str, Any]] = {}

        async def all_there() -> bool:
            batch = await consumer.getmany(timeout_ms=500)
            for message in (m for ms in batch.values() for m in ms):
                entry = json.loads(message.value)
                event = entry["event"]
                found[event.get("claim_id") or event.get("redemption_id")] = entry
            return ids <= found.keys()

        await asyncio.wait_for(wait_for(all_there, timeout_s=30), 40)
    finally:
        await consumer.stop()
    return {i: found[i] for i in ids}
