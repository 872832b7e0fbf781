"""The worker and merchant pages in headless Chromium against the real stack: a worker
claims (twice tapped, once with its answer lost) and gets a QR code that decodes to the
code; a till scans that QR code through Chromium's fake camera, redeems it, is refused
the second time, and reverses the redemption."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import Page, Route

from engine.domain.periods import UNION_TZ
from tests.helpers.api import redeemable_code
from tests.helpers.pages import shot_path
from tests.helpers.waiting import wait_for
from tests.integration.browser import browser, decoded_qr_codes, qr_video

# NUANXIN_SCREENSHOTS=docs refreshes the pictures the README links (the demo's are nicer).
SHOTS = os.environ.get("NUANXIN_SCREENSHOTS")


async def phone(b, base_url: str, locale: str = "zh-CN") -> Page:
    context = await b.new_context(
        viewport={"width": 360, "height": 780}, device_scale_factor=2, locale=locale,
        base_url=base_url, timezone_id="Europe/London",  # the page shows Beijing time anyway
    )  # fmt: skip
    return await context.new_page()


async def admitted(http, factory, cid: str) -> int:
    return (await http.get(f"/v1/campaigns/{cid}", headers=factory.ops)).json()["admitted"]


@pytest.mark.usefixtures("issuing")
async def until_listed(http, factory, worker, *campaign_ids: str) -> None:
    """Until the API lists these programmes to the worker: the live programmes are read at
    most once a second per API process (engine/usecases/offers.py), so one created within
    that second shows at the next read, and the page reads them only every 30 s."""

    async def shown() -> bool:
        r = await http.get("/v1/me/programmes", headers=factory.worker_headers(worker, "-"))
        return set(campaign_ids) <= {p["campaign_id"] for p in r.json()["programmes"]}

    await wait_for(shown, timeout_s=30)


async def test_worker_page_claims_once_through_a_double_tap_and_a_lost_answer_and_shows_the_qr(
    http, factory, engine, tmp_path, repo_root
):
    now = datetime.now(UTC)
    metro = await factory.campaign(name="地铁半价券", name_en="Metro half-price coupons", quota=5)
    trucks = await factory.campaign(name="加油券", eligible_categories=["truck_driver"])
    later = await factory.campaign(
        name="充电券", claim_opens_at=(now + timedelta(hours=2)).isoformat()
    )
    (worker,) = await factory.workers(1)
    cid = metro["id"]
    await until_listed(http, factory, worker, cid, trucks["id"], later["id"])

    async with browser() as b:
        page = await phone(b, engine.base_url)
        lost = []

        async def lose_the_first_answer(route: Route) -> None:
            # The claim reaches the engine and is made; the phone never hears back.
            if not lost:
                lost.append(await route.fetch())
                await route.abort("connectionreset")
            else:
                await route.continue_()

        await page.route(f"**/v1/campaigns/{cid}/claims", lose_the_first_answer)
        await page.goto(f"/w/#token={factory.token(worker)}")
        card = page.locator(f'article[data-campaign="{cid}"]')
        await card.locator("button.claim").wait_for()
        assert "token=" not in page.url  # the credential left the address bar
        assert await page.locator("html").get_attribute("lang") == "zh-CN"
        assert "地铁半价券" in await card.inner_text()
        # Why not, in plain words; and when it opens.
        refused = page.locator(f'article[data-campaign="{trucks["id"]}"] .reason')
        assert "职业须为：货车司机" in await refused.inner_text()
        opens = page.locator(f'article[data-campaign="{later["id"]}"]')
        assert "距开抢" in await opens.inner_text()
        assert await opens.locator("[data-until]").count() == 1

        await card.locator("button.claim").dblclick()
        await card.locator(".message.ok").wait_for(timeout=30_000)
        assert lost and lost[0].status == 201  # the engine had answered the lost one
        assert await admitted(http, factory, cid) == 1

        await page.locator("#tab-vouchers").click()
        voucher = page.locator("article.voucher").first
        await voucher.locator("img.qr").wait_for(timeout=60_000)
        await page.wait_for_function(
            "() => { const i = document.querySelector('img.qr'); return i && i.naturalWidth > 0 }"
        )
        listed = await http.get("/v1/me/vouchers", headers=factory.worker_headers(worker, "-"))
        (mine,) = listed.json()["vouchers"]
        assert mine["campaign_name"] == "地铁半价券"
        # Under the QR code, the short code a cashier types when the camera fails.
        typed = await voucher.locator(".code").inner_text()
        assert typed == mine["short_code"] and len(typed) == 14 and typed.count("-") == 2
        assert await voucher.get_attribute("data-state") == "unused"
        picture = await page.screenshot(
            path=str(shot_path(tmp_path, repo_root, "worker-page.png")), full_page=False
        )
        assert decoded_qr_codes(await voucher.locator("img.qr").screenshot()) == [mine["code"]]
        assert len(picture) > 10_000

        await page.locator("#lang").click()
        assert await page.locator("#tab-vouchers").inner_text() == "My vouchers"
        assert "Metro half-price coupons" in await voucher.inner_text()


@pytest.mark.usefixtures("issuing")
async def test_merchant_page_redeems_a_scanned_code_refuses_it_again_and_reverses_it(
    http, factory, engine, tmp_path, repo_root
):
    merchant, _ = await factory.merchant()
    r = await http.post(
        f"/v1/merchants/{merchant}/stores", json={"id": "till-1", "name": "观前街店"},
        headers=factory.ops,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    r = await http.post(
        f"/v1/merchants/{merchant}/keys", json={"store_id": "till-1"}, headers=factory.ops
    )
    store_key = r.json()["api_key"]
    cid = (await factory.campaign(name="购书券", name_en="Book vouchers", merchants=[merchant]))[
        "id"
    ]
    (worker,) = await factory.workers(1)
    r = await http.post(f"/v1/campaigns/{cid}/claims", headers=factory.worker_headers(worker, "k"))
    code = await redeemable_code(http, factory, worker, r.json()["claim_id"])

    async with browser(camera=qr_video(code, tmp_path / "qr.y4m")) as b:
        page = await phone(b, engine.base_url)
        page.on("dialog", lambda dialog: dialog.accept())
        await page.goto("/m/")
        await page.fill("#store-key", store_key)
        await page.click("#signin button")
        await page.locator("#till").wait_for()

        await page.click("#scan")
        await page.locator("#verdict.ok").wait_for(timeout=30_000)
        assert await page.input_value("#code") == code
        assert "购书券" in await page.inner_text("#verdict")
        await page.click("#redeem")
        await page.locator("#result.ok").wait_for(timeout=30_000)
        assert "核销成功 ¥3.00" in await page.inner_text("#result")
        rid = await page.get_attribute("#result", "data-redemption")
        row = page.locator(f'li[data-redemption="{rid}"]')
        await row.wait_for(timeout=30_000)
        await page.screenshot(path=str(shot_path(tmp_path, repo_root, "merchant-page.png")))

        # The same code again, scanned: refused on the page, and by the engine.
        await page.click("#scan")
        await page.locator('#verdict.bad[data-reason="already-redeemed"]').wait_for(timeout=30_000)
        assert "该券已核销" in await page.inner_text("#verdict")
        assert await page.locator("#redeem").is_hidden()
        redeemed = await http.get(f"/v1/campaigns/{cid}", headers=factory.ops)
        assert redeemed.json()["redeemed"] == 1

        await row.locator("button.reverse").click()
        await page.locator("#result.ok").filter(has_text="已撤销 ¥3.00").wait_for()

        async def reversed_in_ledger():
            day = await http.get(
                "/v1/me/redemptions", headers={"Authorization": f"Bearer {store_key}"}
            )
            (entry,) = day.json()["redemptions"]
            return entry if entry["reversed_fen"] == 300 else None

        entry = await wait_for(reversed_in_ledger)
        assert entry["redemption_id"] == rid and entry["store_id"] == "till-1"
        await page.locator(f'li[data-redemption="{rid}"] button.reverse').wait_for(state="detached")

        # Signing out (the shared header's button) forgets the key in this tab.
        assert "暖心券核销" in await page.inner_text("header h1")
        await page.click("#logout")
        await page.locator("#signin").wait_for()
        assert await page.evaluate("sessionStorage.getItem('nuanxin-store-key')") is None
        assert await page.locator("#logout").is_hidden()


@pytest.mark.usefixtures("issuing")
async def test_merchant_page_redeems_a_typed_short_code_on_an_order_for_half_price(
    http, factory, engine
):
    merchant, api_key = await factory.merchant()
    metro = await factory.campaign(
        name="地铁半价券",
        face_value_fen=300,
        discount={"kind": "percent_off", "percent": 50, "cap_fen": 300},
        merchants=[merchant],
    )
    (worker,) = await factory.workers(1)
    r = await http.post(
        f"/v1/campaigns/{metro['id']}/claims", headers=factory.worker_headers(worker, "k")
    )
    await redeemable_code(http, factory, worker, r.json()["claim_id"])
    listed = await http.get("/v1/me/vouchers", headers=factory.worker_headers(worker, "-"))
    short = listed.json()["vouchers"][0]["short_code"]
    # One symbol mistyped: caught by the check symbol on the page's first try.
    slip = short[:-1] + ("0" if short[-1] != "0" else "1")

    async with browser() as b:
        page = await phone(b, engine.base_url)
        await page.goto(f"/m/#key={api_key}")
        await page.locator("#till").wait_for()
        await page.fill("#code", slip)
        await page.click("#verify")
        await page.locator("#verdict.bad").wait_for(timeout=30_000)
        await page.fill("#code", " " + short.lower() + " ")  # as a cashier types it
        await page.click("#verify")
        await page.locator("#verdict.ok").wait_for(timeout=30_000)
        assert "5折，最多减¥3.00" in await page.inner_text("#verdict")
        assert await page.locator("#amount-row").is_hidden()
        await page.fill("#order", "4.01")
        await page.click("#redeem")
        await page.locator("#result.ok").wait_for(timeout=30_000)
        assert "核销成功 ¥2.01 · 优惠 ¥2.01，应付 ¥2.00" in await page.inner_text("#result")
    state = await http.get(f"/v1/campaigns/{metro['id']}", headers=factory.ops)
    assert state.json()["redeemed"] == 1


@pytest.mark.usefixtures("issuing")
async def test_worker_page_finds_a_station_by_district_and_claims_a_pack_there(
    http, factory, engine
):
    merchant, _ = await factory.merchant()
    packs = await factory.campaign(
        name="暖冬礼包", name_en="Warm-winter packs", quota=3, stations=True, merchants=[merchant]
    )
    stations = [
        {"station_id": "gs-01", "name": "姑苏区工会服务站", "district": "姑苏区", "stock": 1,
         "address": "人民路 100 号"},
        {"station_id": "yq-01", "name": "园区星海驿站", "district": "工业园区", "stock": 2},
    ]  # fmt: skip
    r = await http.put(
        f"/v1/campaigns/{packs['id']}/stations", json={"stations": stations}, headers=factory.ops
    )
    assert r.status_code == 200, r.text
    (worker,) = await factory.workers(1)
    await until_listed(http, factory, worker, packs["id"])

    async with browser() as b:
        page = await phone(b, engine.base_url)
        await page.goto(f"/w/#token={factory.token(worker)}")
        card = page.locator(f'article[data-campaign="{packs["id"]}"]')
        await card.locator("button.claim").click()
        await page.locator("#picker li[data-station]").first.wait_for()
        assert await page.locator("#picker li[data-station]").count() == 2
        await page.fill("#station-q", "姑苏")
        await page.locator("#picker li[data-station]").nth(1).wait_for(state="detached")
        chosen = page.locator('#picker li[data-station="gs-01"]')
        assert "余 1 份" in await chosen.inner_text()
        await chosen.locator("button.here").click()
        await page.locator("#picker").wait_for(state="hidden")
        await card.locator(".message.ok").wait_for(timeout=30_000)

        await page.locator("#tab-vouchers").click()
        voucher = page.locator("article.voucher").first
        await voucher.locator(".pickup").wait_for(timeout=60_000)
        assert "姑苏区工会服务站" in await voucher.locator(".pickup").inner_text()
    figures = await http.get(f"/v1/ops/campaigns/{packs['id']}/stations", headers=factory.ops)
    left = {s["station_id"]: s["left"] for s in figures.json()["stations"]}
    assert left == {"gs-01": 0, "yq-01": 2}


@pytest.mark.usefixtures("issuing")
async def test_worker_page_chooses_the_station_of_a_pack_claimed_without_one(http, factory, engine):
    merchant, _ = await factory.merchant()
    packs = await factory.campaign(name="暖冬礼包", quota=2, stations=True, merchants=[merchant])
    stations = [
        {"station_id": "gs-01", "name": "姑苏区工会服务站", "district": "姑苏区", "stock": 2}
    ]
    r = await http.put(
        f"/v1/campaigns/{packs['id']}/stations", json={"stations": stations}, headers=factory.ops
    )
    assert r.status_code == 200, r.text
    (worker,) = await factory.workers(1)
    r = await http.post(
        f"/v1/campaigns/{packs['id']}/claims", json={}, headers=factory.worker_headers(worker, "k")
    )
    assert r.status_code == 201, r.text
    await redeemable_code(http, factory, worker, r.json()["claim_id"])

    async with browser() as b:
        page = await phone(b, engine.base_url)
        await page.goto(f"/w/#token={factory.token(worker)}")
        await page.locator("#tab-vouchers").click()
        await page.locator("article.voucher button.choose-station").click()
        await page.locator('#picker li[data-station="gs-01"] button.here').click()
        pickup = page.locator("article.voucher .pickup")
        await pickup.wait_for(timeout=30_000)
        assert "姑苏区工会服务站" in await pickup.inner_text()
        assert await page.locator("article.voucher img.qr").count() == 1
    shown = await http.get(f"/v1/ops/campaigns/{packs['id']}/stations", headers=factory.ops)
    assert shown.json()["stations"][0]["left"] == 1


@pytest.mark.usefixtures("issuing")
async def test_worker_page_books_a_slot_by_day_and_provider_and_cancels_it(http, factory, engine):
    merchant, _ = await factory.merchant()
    sessions = await factory.campaign(
        name="职工心理咨询", name_en="Counselling", quota=2, slots=True, merchants=[merchant]
    )
    starts = (datetime.now(UTC) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    slots = [
        {"slot_id": f"s-{i}", "service": "心理咨询", "provider_id": p, "provider_name": name,
         "starts_at": (starts + timedelta(hours=i)).isoformat(),
         "ends_at": (starts + timedelta(hours=i, minutes=50)).isoformat(), "capacity": 1}
        for i, (p, name) in enumerate([("clinic-a", "姑苏心理咨询室"), ("clinic-b", "园区心理驿站")])
    ]  # fmt: skip
    r = await http.put(
        f"/v1/campaigns/{sessions['id']}/slots", json={"slots": slots}, headers=factory.ops
    )
    assert r.status_code == 200, r.text
    (worker,) = await factory.workers(1)
    day = datetime.fromisoformat(slots[1]["starts_at"]).astimezone(UNION_TZ).date()
    await until_listed(http, factory, worker, sessions["id"])

    async with browser() as b:
        page = await phone(b, engine.base_url)
        page.on("dialog", lambda dialog: dialog.accept())  # "cancel this booking?"
        await page.goto(f"/w/#token={factory.token(worker)}")
        card = page.locator(f'article[data-campaign="{sessions["id"]}"]')
        await card.locator("button.claim").click()
        await page.locator("#slot-picker li[data-slot]").first.wait_for()
        await page.fill("#slot-day", day.isoformat())
        provider = page.locator('#slot-picker div[data-provider="clinic-b"]')
        await provider.wait_for()
        assert "园区心理驿站" in await provider.locator("h3").inner_text()
        await provider.locator("li[data-slot='s-1'] button.here").click()
        await page.locator("#slot-picker").wait_for(state="hidden")
        await card.locator(".message.ok").wait_for(timeout=30_000)

        await page.locator("#tab-vouchers").click()
        booking = page.locator("article.voucher .booking").first
        await booking.wait_for(timeout=60_000)
        assert "园区心理驿站" in await booking.inner_text()
        await booking.locator("button.cancel").click()
        await page.locator('article.voucher[data-state="cancelled"]').wait_for(timeout=30_000)
        assert "预约已取消" in await page.inner_text("#status")
    shown = await http.get(f"/v1/ops/campaigns/{sessions['id']}/slots", headers=factory.ops)
    fill = {s["slot_id"]: (s["left"], s["cancelled"]) for s in shown.json()["slots"]}
    assert fill == {"s-0": (1, 0), "s-1": (1, 1)}


@pytest.mark.usefixtures("issuing")
async def test_worker_page_shows_a_cash_subsidy_as_paid_to_the_bank_not_as_a_code(
    http, factory, engine
):
    payroll, _ = await factory.merchant()
    subsidy = await factory.campaign(
        name="首次就业补贴", quota=1, face_value_fen=50_000, payout=True, merchants=[payroll]
    )
    (worker,) = await factory.workers(1)
    r = await http.post(
        f"/v1/campaigns/{subsidy['id']}/claims", headers=factory.worker_headers(worker, "k")
    )
    assert r.status_code == 201, r.text
    await redeemable_code(http, factory, worker, r.json()["claim_id"])

    async with browser() as b:
        page = await phone(b, engine.base_url)
        await page.goto(f"/w/#token={factory.token(worker)}")
        await page.locator("#tab-vouchers").click()
        voucher = page.locator("article.voucher").first
        await voucher.locator(".payout").wait_for()
        assert "补贴将分批发放至您登记的银行账户" in await voucher.inner_text()
        assert await voucher.locator("img.qr").count() == 0
        assert await voucher.locator(".code").count() == 0


async def test_worker_page_enters_a_lottery_and_shows_what_is_left_of_the_limits(
    http, factory, engine
):
    now = datetime.now(UTC)
    draw = await factory.campaign(
        name="春节返乡车票抽签",
        claim_closes_at=(now + timedelta(hours=1)).isoformat(),
        lottery={"draw_at": (now + timedelta(hours=2)).isoformat()},
    )
    weekly = await factory.campaign(
        name="观影健身券", per_worker_limit=5, period_limit={"period": "week", "limit": 2}
    )
    (worker,) = await factory.workers(1)
    await until_listed(http, factory, worker, draw["id"], weekly["id"])

    async with browser() as b:
        page = await phone(b, engine.base_url)
        await page.goto(f"/w/#token={factory.token(worker)}")
        lottery = page.locator(f'article[data-campaign="{draw["id"]}"]')
        await lottery.locator("button.register").click()
        await lottery.locator('[data-lottery="registered"]').wait_for(timeout=30_000)
        assert "已报名" in await lottery.inner_text()
        limited = page.locator(f'article[data-campaign="{weekly["id"]}"]')
        assert "本周还可领 2 张（限 2 张）" in await limited.locator(".limit").inner_text()
    entered = await http.get(f"/v1/campaigns/{draw['id']}/lottery")
    assert entered.json()["state"] == "registering"
    mine = await http.get("/v1/me/programmes", headers=factory.worker_headers(worker, "-"))
    shown = {p["campaign_id"]: p for p in mine.json()["programmes"]}
    assert shown[draw["id"]]["lottery"]["registered"] is True
