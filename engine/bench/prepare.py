"""What a benchmark needs before its timed window: campaigns, workers, tokens, codes, keys.

All of it goes through the API's bulk endpoints (or is minted with the union's token
key, as its app would), so the timed window measures only the scenario itself.
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from rich.console import Console
from rich.progress import Progress

from engine.demo.load import Call, drive
from engine.domain.tokens import mint_worker_token
from engine.keyfiles import worker_token_keys_of
from engine.settings import Settings

BULK = 5000
CATEGORY = "courier"


def campaign_body(
    campaign_id: str, quota: int, merchants: list[str] | None = None
) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "id": campaign_id,
        "name": f"bench {campaign_id}",
        "quota": quota,
        "face_value_fen": 300,
        "per_worker_limit": 1,
        "claim_opens_at": (now - timedelta(minutes=1)).isoformat(),
        "claim_closes_at": (now + timedelta(hours=3)).isoformat(),
        "valid_until": (now + timedelta(days=30)).isoformat(),
        "eligible_categories": [CATEGORY],
        "merchants": merchants or [],
    }


class Preparer:
    def __init__(self, settings: Settings, base_url: str, run_id: str, folder: Path) -> None:
        self.settings, self.base_url, self.run_id, self.folder = settings, base_url, run_id, folder
        self.ops = {"Authorization": f"Bearer {settings.ops_token.get_secret_value()}"}
        self.client = httpx.AsyncClient(base_url=base_url, headers=self.ops, timeout=120)

    async def close(self) -> None:
        await self.client.aclose()

    async def campaign(self, name: str, quota: int, merchants: list[str] | None = None) -> str:
        campaign_id = f"{name}-{self.run_id}"
        r = await self.client.post(
            "/v1/campaigns", json=campaign_body(campaign_id, quota, merchants)
        )
        r.raise_for_status()
        return campaign_id

    async def workers(self, count: int, progress: Progress) -> list[str]:
        ids = [f"b-{self.run_id}-{i:06d}" for i in range(count)]
        task = progress.add_task("register workers", total=count)
        for start in range(0, count, BULK):
            chunk = [{"id": w, "category": CATEGORY} for w in ids[start : start + BULK]]
            r = await self.client.post("/v1/workers/bulk", json={"workers": chunk})
            r.raise_for_status()
            progress.advance(task, len(chunk))
        return ids

    def tokens(self, worker_ids: list[str], progress: Progress) -> Path:
        """One token per line, in a shuffled order (a burst does not arrive in id order)."""
        key = worker_token_keys_of(self.settings)
        now = int(time.time())
        task = progress.add_task("mint tokens", total=len(worker_ids))
        path = self.folder / "tokens.txt"
        order = list(worker_ids)
        random.Random(self.run_id).shuffle(order)
        with path.open("w") as out:
            for i, worker in enumerate(order):
                out.write(mint_worker_token(key, worker, now, 4 * 3600) + "\n")
                if i % 1000 == 999:
                    progress.advance(task, 1000)
        progress.update(task, completed=len(worker_ids))
        return path

    async def merchant_keys(self, count: int) -> tuple[str, list[str]]:
        merchant = f"bench-m-{self.run_id}"
        r = await self.client.post("/v1/merchants", json={"id": merchant, "name": "bench merchant"})
        r.raise_for_status()
        keys = [r.json()["api_key"]]
        for _ in range(count - 1):
            r = await self.client.post(f"/v1/merchants/{merchant}/keys", json={})
            r.raise_for_status()
            keys.append(r.json()["api_key"])
        return merchant, keys

    async def issued_codes(
        self,
        campaign_id: str,
        tokens_file: Path,
        count: int,
        progress: Progress,
        file_name: str = "codes.txt",
    ) -> Path:
        """Claim `count` vouchers (untimed), wait until they are issued, write their codes."""
        tokens = tokens_file.read_text().split()[:count]  # noqa: ASYNC240 - before timing
        url = f"/v1/campaigns/{campaign_id}/claims"
        calls = [
            Call(
                "POST",
                url,
                {"Authorization": f"Bearer {t}", "Idempotency-Key": f"pre-{campaign_id}"},
            )
            for t in tokens
        ]
        await drive(self.base_url, calls, 64, "pre-issue", progress.console)
        db = await asyncpg.connect(self.settings.database_url.get_secret_value())
        try:
            task = progress.add_task("wait for issuance", total=count)
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                codes = [
                    r["code"]
                    for r in await db.fetch(
                        "SELECT code FROM vouchers WHERE campaign_id = $1", campaign_id
                    )
                ]
                progress.update(task, completed=len(codes))
                if len(codes) >= count:
                    break
                await asyncio.sleep(0.5)
            else:
                raise RuntimeError(f"only {len(codes)} of {count} vouchers issued after 300 s")
        finally:
            await db.close()
        random.Random(campaign_id).shuffle(codes)
        path = self.folder / file_name
        path.write_text("\n".join(codes) + "\n")
        return path


async def wait_for_stream(
    client: httpx.AsyncClient,
    settings: Settings,
    campaign: dict[str, Any],
    worker: tuple[str, str],
    console: Console,
    timeout_s: float = 90,
) -> None:
    """One claim through the whole path, so a timed run does not time a consumer-group join."""
    ops = {"Authorization": f"Bearer {settings.ops_token.get_secret_value()}"}
    (await client.post("/v1/campaigns", json=campaign, headers=ops)).raise_for_status()
    token = mint_worker_token(worker_token_keys_of(settings), worker[0], int(time.time()), 600)
    auth = {"Authorization": f"Bearer {token}"}
    r = await client.post(
        f"/v1/campaigns/{campaign['id']}/claims",
        headers=auth | {"Idempotency-Key": f"warm-{campaign['id']}"},
    )
    r.raise_for_status()
    deadline = time.monotonic() + timeout_s
    with console.status("waiting for the stream worker to join its consumer group"):
        while time.monotonic() < deadline:
            status = (await client.get(f"/v1/claims/{r.json()['claim_id']}", headers=auth)).json()
            if status["status"] == "issued":
                return
            await asyncio.sleep(0.5)  # a phone polls; its rate limit is 2/s
    raise RuntimeError(f"the stream worker did not issue a voucher within {timeout_s:.0f} s")
