"""Services booked by the slot, through the API on the real stack: a place per booking
decided with the claim, cancelled until the deadline with the place back at once, checked
in only by the provider's store in the slot's window, no-shows counted once a slot is
over, and a burst of 2,000 workers for 50 slots of 4 places."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers.api import (
    assert_problem,
    claim_place,
    places_campaign,
    places_figures,
    pos,
    redeemable_code,
    store_key,
)
from tests.helpers.waiting import wait_for
from tests.integration.engine_procs import assert_reconciled

COUNSELLING = 5_000  # what one session is worth to the union's budget (fen)


def slot(slot_id: str, provider: str, starts: datetime, minutes: int = 50, **more) -> dict:
    return {
        "slot_id": slot_id,
        "service": "心理咨询",
        "provider_id": provider,
        "provider_name": f"{provider} 心理咨询室",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(minutes=minutes)).isoformat(),
        "capacity": 1,
    } | more


async def booking_campaign(http, factory, slots: list[dict], quota: int) -> tuple[str, str]:
    return await places_campaign(
        http, factory, "slots", slots, quota=quota, face_value_fen=COUNSELLING
    )


def book(http, factory, cid: str, worker: str, slot_id: str | None, key: str = "k"):
    place = {} if slot_id is None else {"slot_id": slot_id}
    return claim_place(http, factory, cid, worker, place, key)


def cancel(http, factory, worker: str, claim_id: str):
    return http.post(
        f"/v1/me/bookings/{claim_id}/cancel", headers=factory.worker_headers(worker, "-")
    )


async def fill(http, factory, cid: str) -> dict[str, dict]:
    return await places_figures(http, factory, cid, "slots")


@pytest.mark.usefixtures("issuing")
async def test_a_booking_is_cancelled_until_its_deadline_and_checked_in_only_in_its_window(
    http, factory, db, stack_env
):
    now = datetime.now(UTC)
    slots = [
        # Booked now, checked in now (from 30 minutes before), too late to cancel (2 hours).
        slot("soon", "clinic-a", now + timedelta(minutes=20)),
        # Cancelled until an hour from now; too early to check in.
        slot("later", "clinic-a", now + timedelta(hours=3)),
        slot("begun", "clinic-b", now - timedelta(minutes=5)),
    ]
    cid, merchant = await booking_campaign(http, factory, slots, quota=3)
    w1, w2, w3 = await factory.workers(3)
    free = await http.get(
        f"/v1/campaigns/{cid}/slots",
        params={"provider": "clinic-a"},
        headers=factory.worker_headers(w1, "-"),
    )
    assert [s["slot_id"] for s in free.json()["slots"]] == ["soon", "later"]
    assert_problem(await book(http, factory, cid, w1, None), 422)  # a slot is named
    assert_problem(await book(http, factory, cid, w1, "nowhere"), 422)
    assert_problem(await book(http, factory, cid, w1, "begun", "k0"), 409, "slot-started")

    soon = await book(http, factory, cid, w1, "soon")
    later = await book(http, factory, cid, w2, "later")
    assert soon.status_code == 201 and later.status_code == 201, (soon.text, later.text)
    assert_problem(await book(http, factory, cid, w3, "later"), 409, "station-out-of-stock")

    # Cancelled before the deadline: the place is free again at once, for anyone.
    later_id = later.json()["claim_id"]
    await redeemable_code(http, factory, w2, later_id)
    assert_problem(await cancel(http, factory, w3, later_id), 404)  # not w3's booking
    first = await cancel(http, factory, w2, later_id)
    assert first.status_code == 200 and first.json()["cancelled_now"] is True, first.text
    again = await cancel(http, factory, w2, later_id)
    assert again.status_code == 200 and again.json()["cancelled_now"] is False
    rebooked = await book(http, factory, cid, w3, "later", "k2")
    assert rebooked.status_code == 201, rebooked.text
    mine = (await http.get("/v1/me/vouchers", headers=factory.worker_headers(w2, "-"))).json()
    assert mine["vouchers"][0]["booking"]["cancelled"] is True

    # Too close to the slot to cancel; checked in by its provider only, from its margin.
    soon_id = soon.json()["claim_id"]
    code = await redeemable_code(http, factory, w1, soon_id)
    assert_problem(await cancel(http, factory, w1, soon_id), 409, "cancel-deadline-passed")
    other = await store_key(http, factory, merchant, "clinic-b")
    provider = await store_key(http, factory, merchant, "clinic-a")
    refused = await http.post("/v1/redemptions", json={"code": code}, headers=pos(other, "p1"))
    assert_problem(refused, 403, "another-station")
    checked = await http.post("/v1/redemptions", json={"code": code}, headers=pos(provider, "p2"))
    assert checked.status_code == 201, checked.text
    early_code = await redeemable_code(http, factory, w3, rebooked.json()["claim_id"])
    early = await http.post(
        "/v1/redemptions", json={"code": early_code}, headers=pos(provider, "p3")
    )
    assert_problem(early, 409, "too-early")

    async def counted():
        shown = await fill(http, factory, cid)
        return shown if shown["soon"]["checked_in"] == 1 else None

    shown = await wait_for(counted)
    assert {s: (x["left"], x["booked"], x["cancelled"]) for s, x in shown.items()} == {
        "soon": (0, 1, 0),
        "later": (0, 1, 1),
        "begun": (1, 0, 0),
    }
    audit = await db.fetch("SELECT action FROM audit_log WHERE target = $1", f"campaign:{cid}")
    assert [a["action"] for a in audit].count("slots.define") == 1
    await asyncio.to_thread(assert_reconciled, stack_env, "--campaign", cid)


@pytest.mark.usefixtures("issuing")
async def test_a_booking_not_checked_in_by_the_slots_end_is_a_no_show(http, factory, db):
    now = datetime.now(UTC)
    # Booked while the slot has not started, then left to lapse (it lasts a second).
    short = slot("brief", "clinic-c", now + timedelta(seconds=8), minutes=0)
    short["ends_at"] = (now + timedelta(seconds=9)).isoformat()
    cid, _ = await booking_campaign(http, factory, [short], quota=1)
    (worker,) = await factory.workers(1)
    booked = await book(http, factory, cid, worker, "brief")
    assert booked.status_code == 201, booked.text
    claim_id = booked.json()["claim_id"]
    await redeemable_code(http, factory, worker, claim_id)
    valid_until = await db.fetchval(
        "SELECT valid_until FROM vouchers WHERE claim_id = $1", claim_id
    )
    assert valid_until == datetime.fromisoformat(short["ends_at"]).replace(microsecond=0)

    async def missed():
        shown = await fill(http, factory, cid)
        return shown if shown["brief"]["no_shows"] == 1 else None

    shown = await wait_for(missed, timeout_s=30)
    assert shown["brief"]["booked"] == 1 and shown["brief"]["checked_in"] == 0
    assert_problem(await cancel(http, factory, worker, claim_id), 409, "cancel-deadline-passed")


@pytest.mark.usefixtures("issuing")
async def test_two_thousand_workers_for_50_slots_of_4_overbook_none_lose_none(
    http, factory, db, stack_env
):
    starts = datetime.now(UTC) + timedelta(days=1)
    slots = [
        slot(f"s-{i:02d}", f"clinic-{i % 5}", starts + timedelta(hours=i % 10), capacity=4)
        for i in range(50)
    ]
    cid, _ = await booking_campaign(http, factory, slots, quota=200)
    workers = await factory.workers(2_000)
    choose = random.Random(27)
    gate = asyncio.Semaphore(200)

    async def one(worker: str) -> tuple[str, int, dict]:
        chosen = f"s-{choose.randrange(50):02d}"
        async with gate:
            r = await book(http, factory, cid, worker, chosen)
        return worker, r.status_code, r.json()

    answers = await asyncio.gather(*(one(w) for w in workers))
    outcomes = Counter(status for _, status, _ in answers)
    assert outcomes[201] == 200, outcomes
    assert set(outcomes) == {201, 409}
    assert {doc["type"].rsplit("/", 1)[-1] for _, s, doc in answers if s == 409} == {
        "station-out-of-stock"
    }
    assert all(x["left"] == 0 for x in (await fill(http, factory, cid)).values())

    async def issued():
        rows = await db.fetch(
            "SELECT station_id, count(*) AS n FROM vouchers WHERE campaign_id = $1 GROUP BY 1",
            cid,
        )
        found = {r["station_id"]: r["n"] for r in rows}
        return found if sum(found.values()) == 200 else None

    assert await wait_for(issued) == {s["slot_id"]: 4 for s in slots}

    # Twenty cancel; their places go back to their slots, and twenty others take them.
    booked = [(w, doc["claim_id"]) for w, s, doc in answers if s == 201][:20]
    for worker, claim_id in booked:
        await redeemable_code(http, factory, worker, claim_id)
        assert (await cancel(http, factory, worker, claim_id)).status_code == 200
    rows = await db.fetch(
        "SELECT station_id FROM vouchers WHERE claim_id = ANY($1::text[])", [c for _, c in booked]
    )
    freed = Counter(r["station_id"] for r in rows)
    shown = await fill(http, factory, cid)
    assert {s: x["left"] for s, x in shown.items() if x["left"]} == dict(freed)
    late = [w for w, s, _ in answers if s == 409]
    again = await asyncio.gather(
        *(
            book(http, factory, cid, w, place, "k2")
            for w, place in zip(late, [p for p, n in freed.items() for _ in range(n)], strict=False)
        )
    )
    assert [r.status_code for r in again] == [201] * 20
    assert all(x["left"] == 0 for x in (await fill(http, factory, cid)).values())
    await asyncio.to_thread(assert_reconciled, stack_env, "--campaign", cid)
