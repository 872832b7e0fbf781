"""The operations dashboard in headless Chromium: it loads during a burst and, once the
burst is over, shows the same numbers as the stats API."""

from __future__ import annotations

import asyncio
import re
import shutil
from html.parser import HTMLParser

from tests.integration.conftest import wait_for

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str:
    path = shutil.which("chromium")
    assert path, "headless Chromium is needed: apt-get install chromium (./dev test installs it)"
    return path


async def run_chromium(*args: str, profile) -> str:
    proc = await asyncio.create_subprocess_exec(
        chromium(),
        *CHROMIUM_FLAGS,
        f"--user-data-dir={profile}",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0
    return out.decode()


class Rows(HTMLParser):
    """Collects the campaign table: {campaign id: {field: text}}."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, dict[str, str]] = {}
        self._row: str | None = None
        self._field: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and "data-campaign" in a:
            self._row = a["data-campaign"]
            self.rows[self._row] = {}
        elif tag == "td" and self._row and "data-field" in a:
            self._field = a["data-field"]

    def handle_data(self, data):
        if self._row and self._field:
            self.rows[self._row][self._field] = data

    def handle_endtag(self, tag):
        if tag == "td":
            self._field = None
        elif tag == "tr":
            self._row = None


async def test_dashboard_matches_the_stats_api(http, factory, engine, tmp_path, repo_root):
    campaign = await factory.campaign(
        quota=300, budget_fen=300 * 300, eligible_categories=["courier"]
    )
    cid = campaign["id"]
    workers = await factory.workers(400)
    token = factory.ops["Authorization"].removeprefix("Bearer ")
    page = f"{engine.base_url}/ops#token={token}"
    sem = asyncio.Semaphore(40)

    async def claim(w: str) -> int:
        async with sem:
            r = await http.post(
                f"/v1/campaigns/{cid}/claims", headers=factory.worker_headers(w, "k")
            )
            return r.status_code

    screenshot = repo_root / "docs" / "dashboard.png"
    burst = asyncio.gather(*(claim(w) for w in workers))
    shot = run_chromium(
        "--window-size=1366,900",
        "--virtual-time-budget=6000",
        f"--screenshot={screenshot}",
        page,
        profile=tmp_path / "p1",
    )
    statuses, _ = await asyncio.gather(burst, shot)
    assert statuses.count(201) == 300 and screenshot.stat().st_size > 10_000

    async def settled():
        s = (await http.get(f"/v1/ops/campaigns/{cid}/stats", headers=factory.ops)).json()
        return s if s["issued"] == s["admitted"] == 300 else None

    stats = await wait_for(settled)
    dom = await run_chromium(
        "--virtual-time-budget=4000", "--dump-dom", page, profile=tmp_path / "p2"
    )
    rows = Rows()
    rows.feed(dom)
    shown = rows.rows[cid]
    assert int(shown["admitted"]) == stats["admitted"]
    assert int(shown["issued"]) == stats["issued"]
    assert int(shown["remaining"]) == stats["remaining"] == 0
    assert float(shown["budget_left"]) == stats["budget_left_fen"] / 100
    assert "sold-out: 100" in shown["refusals"]
    assert re.search(r"as of \d{4}-\d\d-\d\d", dom)

    locked = await run_chromium(
        "--virtual-time-budget=2000",
        "--dump-dom",
        f"{engine.base_url}/ops",
        profile=tmp_path / "p3",
    )
    assert '<form id="login">' in locked and "data-campaign" not in locked
