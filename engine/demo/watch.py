"""The demo's cash-out pattern and what the watch must make of it: two merchants whose
vouchers are redeemed on one till (one takes the other's vouchers for cash, 代收套现) mixed
into the day's redemptions. The watch must open exactly that case and flag nothing of the
normal traffic.

The demo compresses a day of pick-ups into a minute and may run at any hour, so it sets
the watch's thresholds for that day while it runs (stores open around the clock, a busy
station seeing many workers) and puts back what it found afterwards."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx

SHARED_TILL = "pos-shared"
COLLUDED = 4  # redemptions of each of the two merchants on the shared till
DEMO_DAY = {"opening": "00:00", "closing": "00:00", "distinct_workers_per_store": 1_000}


@dataclass
class WatchRun:
    found: bool = False  # the shared till's case, with every one of its redemptions
    flagged_else: int = 0  # open cases of the run's merchants beyond it


class DemoThresholds:
    """The watch's thresholds for the demo's day, and the ones found put back after."""

    def __init__(self, client: httpx.AsyncClient, ops: dict[str, str]) -> None:
        self.client, self.ops = client, ops
        self.found: dict[str, Any] | None = None

    async def __aenter__(self) -> None:
        r = await self.client.get("/v1/ops/watch/thresholds", headers=self.ops)
        r.raise_for_status()
        self.found = r.json()
        await self._put(self.found | DEMO_DAY)

    async def __aexit__(self, *exc: object) -> None:
        if self.found is not None:
            await self._put(self.found)

    async def _put(self, thresholds: dict[str, Any]) -> None:
        r = await self.client.put("/v1/ops/watch/thresholds", json=thresholds, headers=self.ops)
        r.raise_for_status()


def colluding_tills(merchants: list[str], run_id: str) -> dict[int, str]:
    """Which of the day's redemptions (by their place in it) are rung up on the shared
    till: the first COLLUDED of each of the first two merchants."""
    till, chosen, seen = f"{SHARED_TILL}-{run_id}", {}, dict[str, int]()
    pair = sorted(set(merchants))[:2]
    for i, merchant in enumerate(merchants):
        if merchant in pair and seen.get(merchant, 0) < COLLUDED:
            seen[merchant] = seen.get(merchant, 0) + 1
            chosen[i] = till
    return chosen


async def watched(
    client: httpx.AsyncClient, db: asyncpg.Pool, ops: dict[str, str], run_id: str
) -> WatchRun:
    """Once the watch has seen every redemption of the run: whether it found the shared
    till, and how many other cases it opened on the run's merchants."""
    like = f"%-{run_id}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        seen = await db.fetchval(
            "SELECT count(*) FROM watch_redemptions WHERE campaign_id LIKE $1", like
        )
        ledger = await db.fetchval(
            "SELECT count(*) FROM redemptions WHERE campaign_id LIKE $1", like
        )
        if seen >= ledger:  # kept and judged in one transaction: every case is open by now
            break
        await asyncio.sleep(0.2)
    r = await client.get("/v1/ops/cases", params={"limit": 500}, headers=ops)
    r.raise_for_status()
    ours = [c for c in r.json()["cases"] if any(m.endswith(f"-{run_id}") for m in c["merchants"])]
    till = [c for c in ours if c["subject"] == f"terminal:{SHARED_TILL}-{run_id}"]
    found = len(till) == 1 and till[0]["evidence_count"] == 2 * COLLUDED
    return WatchRun(found=found, flagged_else=len(ours) - len(till))
