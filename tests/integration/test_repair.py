"""The repair job settles what an API process left behind: a reversal decided but never
published (released, or completed when its refund was spent again), and a cap
reservation whose admission never happened. Real Redis, PostgreSQL and broker."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from engine.adapters import postgres
from engine.adapters.kafka import EventProducer
from engine.adapters.redis import Redis
from engine.domain.admission import CapReservation
from engine.domain.clock import SystemClock
from engine.domain.periods import Period, period_id
from engine.domain.redemption import ReverseRequest
from engine.keyfiles import event_keys_of
from engine.usecases.read_caches import Campaigns
from engine.usecases.repair import Repair
from tests.helpers.api import issued_codes, pos
from tests.helpers.waiting import wait_for


async def _repair_now(settings) -> dict:
    """One run of the repair job, with every record counted as abandoned (as if the log's
    fences proved none of their events was appended)."""
    live = Redis.from_settings(settings, 8)
    db = await postgres.connect(settings.database_url.get_secret_value(), 2)
    producer = EventProducer(settings, event_keys_of(settings))
    await producer.start()

    async def publish(event) -> None:
        await producer.publish(event, key=event.merchant_id)

    repair = Repair(
        admissions=live.admissions,
        redemptions=live.redemptions,
        settlement=live.settlement,
        records=db,
        campaigns=Campaigns(db, SystemClock()),
        publish_reversal=publish,
    )
    try:
        later = int(time.time() * 1000) + 1_000
        cutoffs = dict.fromkeys(("claim", "redemption", "reversal"), later)
        return dict(await repair.release_abandoned(cutoffs, later))
    finally:
        await producer.stop()
        await db.close()
        await live.close()


def _reversal(campaign_id, serial, merchant_id, redemption_id, reversal_id, amount):
    now = int(time.time() * 1000)
    return ReverseRequest(
        campaign_id, serial, merchant_id, redemption_id, reversal_id, amount, now, 3_600_000
    )


async def test_an_abandoned_reversal_is_released_or_completed(http, factory, db, settings):
    merchant_id, api_key = await factory.merchant()
    campaign = await factory.campaign(
        quota=2, face_value_fen=1_000, stored_value=True, merchants=[merchant_id]
    )
    cid = campaign["id"]
    codes = await issued_codes(http, factory, db, cid, 2)
    redeemed = []
    for i, code in enumerate(codes):
        r = await http.post("/v1/redemptions", json={"code": code}, headers=pos(api_key, f"r{i}"))
        assert r.status_code == 201, r.text
        redeemed.append(r.json())
    live = Redis.from_settings(settings, 8)
    try:
        # Two reversals decided in Redis by an API process that then died: never published.
        for i, answer in enumerate(redeemed):
            request = _reversal(
                cid, answer["serial"], merchant_id, answer["redemption_id"], f"{cid}.rev{i}", 400
            )
            assert (await live.redemptions.reverse(request)).is_new
        pending = await live.settlement.unsettled_before(cid, int(time.time() * 1000) + 1_000)
        assert {f"{cid}.rev0", f"{cid}.rev1"} <= {d.decision_id for d in pending}
        # The second voucher's refund is spent again before the repair comes.
        again = await http.post(
            "/v1/redemptions", json={"code": codes[1]}, headers=pos(api_key, "again")
        )
        assert again.status_code == 201 and again.json()["amount_fen"] == 400

        async def only_the_reversals_unsettled():
            left = await live.settlement.unsettled_before(cid, int(time.time() * 1000) + 1_000)
            return {d.decision_id for d in left} == {f"{cid}.rev0", f"{cid}.rev1"}

        await wait_for(only_the_reversals_unsettled)  # the redemption's confirmation landed
        outcomes = await _repair_now(settings)
        assert outcomes.get("reversal released") == 1 and outcomes.get("reversal acked") == 1
        first = await live.redemptions.voucher_state(cid, redeemed[0]["serial"])
        second = await live.redemptions.voucher_state(cid, redeemed[1]["serial"])
    finally:
        await live.close()
    # Released: the refund is undone. Completed: never a negative balance, and the ledger
    # records the reversal the voucher's second redemption relied on.
    assert first and second and (first.balance_fen, second.balance_fen) == (0, 0)
    rows = await wait_for(
        lambda: db.fetch(
            "SELECT amount_fen FROM ledger WHERE campaign_id = $1 AND kind = 'reversal'", cid
        )
    )
    assert [r["amount_fen"] for r in rows] == [-400]
    total = await db.fetchval("SELECT sum(amount_fen) FROM ledger WHERE campaign_id = $1", cid)
    assert total == 1_000 + 1_000 - 400 + 400


async def test_a_cap_reservation_without_its_admission_is_given_back(http, factory, settings):
    group = await factory.cap_group(1_000)
    campaign = await factory.campaign(
        quota=10, per_worker_limit=3, face_value_fen=600, cap_group=group
    )
    lost, kept = await factory.workers(2)
    period = period_id(Period.MONTH, datetime.now(UTC))
    live = Redis.from_settings(settings, 8)
    try:
        # The process died between the reservation and the admission: a leak of 600 fen.
        leaked = CapReservation(group, period, f"{campaign['id']}.lost", lost, campaign["id"], 600)
        assert await live.admissions.cap_reserve(leaked, 1_000, 3600, int(time.time() * 1000)) == 1
        refused = await http.post(
            f"/v1/campaigns/{campaign['id']}/claims", headers=factory.worker_headers(lost, "a")
        )
        assert refused.status_code == 409, refused.text  # 600 + 600 > 1,000
        admitted = await http.post(
            f"/v1/campaigns/{campaign['id']}/claims", headers=factory.worker_headers(kept, "a")
        )
        assert admitted.status_code == 201

        outcomes = await _repair_now(settings)
        assert outcomes.get("cap reservation released") == 1
        assert outcomes.get("cap reservation settled", 0) >= 1
    finally:
        await live.close()
    # The leaked 600 fen are back; the admitted claim's reservation still counts.
    retry = await http.post(
        f"/v1/campaigns/{campaign['id']}/claims", headers=factory.worker_headers(lost, "a")
    )
    assert retry.status_code == 201, retry.text
    second = await http.post(
        f"/v1/campaigns/{campaign['id']}/claims", headers=factory.worker_headers(kept, "b")
    )
    assert second.status_code == 409, second.text
