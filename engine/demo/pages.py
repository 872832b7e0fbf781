"""The three pages of a demo run: their addresses with a credential each (a simulated
worker holding vouchers, the till of a merchant that accepts one of them, operations),
and a picture of the dashboard taken during the burst."""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from engine.domain.tokens import mint_worker_token
from engine.keyfiles import worker_token_keys_of
from engine.settings import Settings


@dataclass(frozen=True)
class PageLinks:
    base_url: str
    worker_token: str
    store_key: str
    ops_token: str

    def pages(self) -> dict[str, str]:
        return {
            "worker": f"{self.base_url}/w/",
            "merchant": f"{self.base_url}/m/",
            "dashboard": f"{self.base_url}/ops",
        }

    def signed_in(self) -> dict[str, str]:
        """The same pages with the credential in the fragment, which no server receives."""
        pages = self.pages()
        return {
            "worker": f"{pages['worker']}#token={self.worker_token}",
            "merchant": f"{pages['merchant']}#key={self.store_key}",
            "dashboard": f"{pages['dashboard']}#token={self.ops_token}",
        }

    def save(self, path: Path) -> None:
        """Readable by its owner only: the links carry credentials."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.writelines(f"{name}: {url}\n" for name, url in self.signed_in().items())


async def links_for(
    settings: Settings,
    db: asyncpg.Connection,
    base_url: str,
    run_id: str,
    merchant_keys: dict[str, str],
    merchant_of: dict[str, str],
) -> PageLinks:
    """The worker holding the most unused vouchers of this run, and the till of the
    merchant that takes the first of them."""
    row = await db.fetchrow(
        "SELECT v.worker_id, w.category, min(v.campaign_id) AS campaign_id FROM vouchers v"
        " JOIN workers w ON w.id = v.worker_id WHERE v.campaign_id LIKE $1 AND NOT EXISTS"
        " (SELECT 1 FROM redemptions r WHERE r.campaign_id = v.campaign_id AND r.serial = v.serial)"
        " GROUP BY v.worker_id, w.category ORDER BY count(*) DESC, v.worker_id LIMIT 1",
        f"%-{run_id}",
    )
    if row is None:
        raise RuntimeError("no unused voucher in this run to show on the worker page")
    token = mint_worker_token(
        worker_token_keys_of(settings),
        row["worker_id"],
        int(time.time()),
        8 * 3600,
    )
    store_key = merchant_keys[merchant_of[row["campaign_id"]]]
    return PageLinks(base_url, token, store_key, settings.ops_token.get_secret_value())


async def dashboard_picture(url: str, path: Path, after_s: float) -> str:
    """A screenshot of the dashboard `after_s` after it first shows the programmes; what
    went wrong otherwise (the demo goes on without it)."""
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        return "the dashboard picture needs Playwright (pip install -e '.[dev]')"
    chromium = shutil.which("chromium")
    if chromium is None:
        return "the dashboard picture needs Chromium (apt-get install chromium)"
    flags = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-sync"]
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=chromium, args=flags)
            try:
                page = await browser.new_page(
                    viewport={"width": 1366, "height": 1000}, locale="zh-CN"
                )
                await page.goto(url)
                await page.locator("figure.programme").first.wait_for(timeout=60_000)
                await asyncio.sleep(after_s)  # a few seconds of lines drawn
                path.parent.mkdir(parents=True, exist_ok=True)
                await page.screenshot(path=str(path), full_page=True)
            finally:
                await browser.close()
    except Exception as exc:  # noqa: BLE001 - a picture is not worth failing the demo for
        return f"no dashboard picture: {exc!r}"
    return f"dashboard picture: {path}"
