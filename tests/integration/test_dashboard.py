"""The operations dashboard in headless Chromium: it draws during a burst and, once the
burst is over, shows the same numbers as the stats API, by programme name, in Beijing
time and in the reader's language."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

from tests.helpers.pages import shot_path
from tests.helpers.waiting import wait_for
from tests.integration.browser import browser


async def test_dashboard_matches_the_stats_api(http, factory, engine, tmp_path, repo_root):
    campaign = await factory.campaign(
        name="观影健身券", name_en="Movie and fitness coupons", quota=300,
        budget_fen=300 * 300, eligible_categories=["courier"],
    )  # fmt: skip
    cid = campaign["id"]
    workers = await factory.workers(400)
    token = factory.ops["Authorization"].removeprefix("Bearer ")
    sem = asyncio.Semaphore(40)

    async def claim(w: str) -> int:
        async with sem:
            r = await http.post(
                f"/v1/campaigns/{cid}/claims", headers=factory.worker_headers(w, "k")
            )
            return r.status_code

    async with browser() as b:
        context = await b.new_context(
            viewport={"width": 1366, "height": 900}, locale="zh-CN", timezone_id="UTC"
        )
        page = await context.new_page()
        await page.goto(f"{engine.base_url}/ops#token={token}")
        card = page.locator(f'figure.programme[data-campaign="{cid}"]')
        await card.wait_for()
        statuses = await asyncio.gather(*(claim(w) for w in workers))
        assert statuses.count(201) == 300
        await page.screenshot(path=str(shot_path(tmp_path, repo_root, "dashboard.png")))

        async def settled():
            s = (await http.get(f"/v1/ops/campaigns/{cid}/stats", headers=factory.ops)).json()
            return s if s["issued"] == s["admitted"] == 300 else None

        stats = await wait_for(settled)
        row = page.locator(f'tr[data-campaign="{cid}"]')

        async def shown() -> dict[str, str]:
            cells = row.locator("td")
            return {
                await c.get_attribute("data-field"): await c.inner_text() for c in await cells.all()
            }

        async def caught_up():
            # Refusals are counted in the background (a batch a moment later).
            s = await shown()
            return s if int(s["issued"]) == 300 and "已抢完 100" in s["refusals"] else None

        cells = await wait_for(caught_up, timeout_s=30)
        assert cells["name"] == "观影健身券" and cells["status"] == "进行中"
        assert int(cells["admitted"]) == stats["admitted"]
        assert int(cells["remaining"]) == stats["remaining"] == 0
        assert float(cells["budget_left"]) == stats["budget_left_fen"] / 100
        assert "已抢完 100" in cells["refusals"]
        # Beijing time whatever the browser's zone (UTC here): eight hours ahead of it.
        as_of = await page.get_attribute("#as-of", "data-as-of")
        hour = (int(as_of[11:13]) + 8) % 24
        assert re.search(rf"更新于 {hour:02d}:\d\d:\d\d", await page.inner_text("#as-of"))
        assert await card.locator("canvas").count() == 1  # its own chart

        await page.locator("#lang").click()
        assert (await shown())["name"] == "Movie and fitness coupons"
        assert "All claimed 100" in (await shown())["refusals"]

        locked = await context.new_page()
        await locked.goto(f"{engine.base_url}/ops")  # a new tab: no token in its session
        await locked.locator("#login").wait_for()
        assert await locked.locator("tr[data-campaign]").count() == 0


async def test_dashboard_shows_a_booking_programmes_fill_by_slot(http, factory, engine):
    merchant, _ = await factory.merchant()
    campaign = await factory.campaign(
        name="职工体检", name_en="Health checks", quota=4, slots=True, merchants=[merchant]
    )
    cid = campaign["id"]
    starts = datetime.now(UTC) + timedelta(days=1)
    slots = [
        {"slot_id": f"hc-{i}", "service": "洗牙", "provider_id": "dental-1",
         "provider_name": "园区口腔诊所", "starts_at": (starts + timedelta(hours=i)).isoformat(),
         "ends_at": (starts + timedelta(hours=i, minutes=30)).isoformat(), "capacity": 2}
        for i in range(2)
    ]  # fmt: skip
    r = await http.put(f"/v1/campaigns/{cid}/slots", json={"slots": slots}, headers=factory.ops)
    assert r.status_code == 200, r.text
    for w in await factory.workers(2):
        body = {"slot_id": "hc-0"}
        r = await http.post(
            f"/v1/campaigns/{cid}/claims", json=body, headers=factory.worker_headers(w, "k")
        )
        assert r.status_code == 201, r.text
    token = factory.ops["Authorization"].removeprefix("Bearer ")

    async with browser() as b:
        page = await b.new_page(locale="zh-CN", timezone_id="UTC")
        await page.goto(f"{engine.base_url}/ops#token={token}")
        table = page.locator(f'figure.slot-fill[data-campaign="{cid}"]')
        await table.wait_for()
        assert "职工体检" in await table.locator("figcaption").inner_text()
        full = table.locator('tr[data-slot="hc-0"] td[data-field="fill"]')
        assert await full.inner_text() == "2 / 2"
        assert await full.get_attribute("class") == "full"
        assert (
            await table.locator('tr[data-slot="hc-1"] td[data-field="fill"]').inner_text()
            == "0 / 2"
        )
        assert "园区口腔诊所" in await table.locator('tr[data-slot="hc-1"]').inner_text()
