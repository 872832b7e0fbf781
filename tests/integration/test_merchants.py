"""The merchant side: keys, verification, guessing protection, stored value, offline
batches, reversals, settlements and the tamper-evident ledger."""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta

from tests.helpers.api import issued_codes, pos
from tests.helpers.books import ledger_rows_when, ledger_verify
from tests.helpers.waiting import sleep_until, wait_for


async def test_concurrent_partial_redemptions_never_exceed_the_face_value(http, factory, db):
    merchant_id, api_key = await factory.merchant()
    campaign = await factory.campaign(
        quota=1, face_value_fen=10_000, stored_value=True, merchants=[merchant_id]
    )
    (code,) = await issued_codes(http, factory, db, campaign["id"], 1)
    results = await asyncio.gather(
        *(
            http.post(
                "/v1/redemptions",
                json={"code": code, "amount_fen": 700},
                headers=pos(api_key, f"part-{i}", terminal=f"t{i % 3}"),
            )
            for i in range(30)
        )
    )
    accepted = [r.json() for r in results if r.status_code == 201]
    refused = Counter(r.json()["type"].rsplit("/", 1)[-1] for r in results if r.status_code != 201)
    assert sum(a["amount_fen"] for a in accepted) <= 10_000
    assert len(accepted) == 14  # 14 x 700 = 9,800; 200 fen stay, less than a part
    assert set(refused) <= {"insufficient-balance", "already-redeemed"}
    assert min(a["balance_fen"] for a in accepted) == 200
    last = await http.post(
        "/v1/redemptions", json={"code": code}, headers=pos(api_key, "rest", terminal="t0")
    )
    assert last.status_code == 201 and last.json()["amount_fen"] == 200
    assert last.json()["balance_fen"] == 0
    rows = await wait_for(lambda: ledger_rows_when(db, campaign["id"], 15))
    assert sum(r["amount_fen"] for r in rows) == 10_000
    assert {r["terminal_id"] for r in rows} == {"t0", "t1", "t2"}


async def test_a_redemption_key_reused_for_another_code_is_refused(http, factory, db):
    merchant_id, api_key = await factory.merchant()
    campaign = await factory.campaign(quota=2, merchants=[merchant_id])
    first, second = await issued_codes(http, factory, db, campaign["id"], 2)
    r = await http.post("/v1/redemptions", json={"code": first}, headers=pos(api_key, "same"))
    assert r.status_code == 201
    reused = await http.post("/v1/redemptions", json={"code": second}, headers=pos(api_key, "same"))
    assert reused.status_code == 422
    assert reused.json()["type"].endswith("/idempotency-key-reused")
    # The second voucher was not touched: it is still redeemable, and then redeemed once.
    check = await http.post("/v1/codes/verify", json={"code": second}, headers=pos(api_key))
    assert check.json()["redeemable"] is True
    ok = await http.post("/v1/redemptions", json={"code": second}, headers=pos(api_key, "new"))
    assert ok.status_code == 201 and ok.json()["serial"] != r.json()["serial"]


async def test_single_use_voucher_cannot_be_redeemed_in_parts(http, factory, db):
    merchant_id, api_key = await factory.merchant()
    campaign = await factory.campaign(quota=1, face_value_fen=300, merchants=[merchant_id])
    (code,) = await issued_codes(http, factory, db, campaign["id"], 1)
    r = await http.post(
        "/v1/redemptions", json={"code": code, "amount_fen": 100}, headers=pos(api_key, "a")
    )
    assert r.status_code == 409 and r.json()["type"].endswith("/insufficient-balance")
    r = await http.post("/v1/redemptions", json={"code": code}, headers=pos(api_key, "b"))
    assert r.status_code == 201 and r.json()["amount_fen"] == 300


async def test_offline_batch_reports_each_item_and_redeems_nothing_twice(http, factory, db):
    (m1, key1), (m2, key2) = await factory.merchant(), await factory.merchant()
    campaign = await factory.campaign(quota=4, merchants=[m1, m2])
    codes = await issued_codes(http, factory, db, campaign["id"], 4)
    online = await http.post("/v1/redemptions", json={"code": codes[1]}, headers=pos(key2, "on-1"))
    assert online.status_code == 201
    now = datetime.now(UTC)
    items = [
        {
            "code": codes[0],
            "idempotency_key": "off-0",
            "redeemed_at": (now - timedelta(hours=2)).isoformat(),
        },
        {
            "code": codes[1],
            "idempotency_key": "off-1",
            "redeemed_at": (now - timedelta(hours=1)).isoformat(),
        },
        {
            "code": codes[0],
            "idempotency_key": "off-2",
            "redeemed_at": (now - timedelta(minutes=30)).isoformat(),
        },
        {"code": codes[2][:-3] + "ZZZ", "idempotency_key": "off-3", "redeemed_at": now.isoformat()},
        {
            "code": codes[3],
            "idempotency_key": "off-4",
            "redeemed_at": (now - timedelta(days=30)).isoformat(),
        },
        {
            "code": codes[2],
            "idempotency_key": "off-5",
            "redeemed_at": now.isoformat(),
            "terminal_id": "bus-7",
        },
    ]
    r = await http.post("/v1/redemptions/batch", json={"items": items}, headers=pos(key1))
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["status"] for x in results] == [
        "accepted",
        "conflict",
        "conflict",
        "rejected",
        "rejected",
        "accepted",
    ]
    assert results[1]["redeemed_by"] == m2  # redeemed elsewhere: who and when
    assert results[2]["redeemed_by"] == m1
    assert results[1]["redeemed_at"] and results[3]["reason"] == "invalid-code"
    # The offline time is what the ledger records.
    again = await http.post("/v1/redemptions/batch", json={"items": items}, headers=pos(key1))
    assert [x["status"] for x in again.json()["results"]] == [x["status"] for x in results]
    assert again.json()["results"][0]["redemption"] == results[0]["redemption"]
    rows = await wait_for(lambda: ledger_rows_when(db, campaign["id"], 3))
    assert Counter((r["campaign_id"], r["serial"]) for r in rows).most_common(1)[0][1] == 1
    first = next(r for r in rows if r["entry_id"] == results[0]["redemption"]["redemption_id"])
    assert abs(first["occurred_at"] - (now - timedelta(hours=2))) < timedelta(seconds=1)


async def test_reversals_window_idempotency_and_ownership(http, factory, db):
    (m1, key1), (m2, key2) = await factory.merchant(), await factory.merchant()
    campaign = await factory.campaign(
        quota=3, face_value_fen=5_000, stored_value=True, merchants=[m1, m2], reversal_window_s=5
    )
    codes = await issued_codes(http, factory, db, campaign["id"], 2)
    r = await http.post(
        "/v1/redemptions", json={"code": codes[0], "amount_fen": 5_000}, headers=pos(key1, "r1")
    )
    rid = r.json()["redemption_id"]

    refund = await http.post(
        "/v1/reversals",
        json={"redemption_id": rid, "amount_fen": 2_000},
        headers=pos(key1, "rev-1"),
    )
    assert refund.status_code == 201, refund.text
    twice = await http.post(
        "/v1/reversals",
        json={"redemption_id": rid, "amount_fen": 2_000},
        headers=pos(key1, "rev-1"),
    )
    assert twice.status_code == 201 and twice.json() == refund.json()
    other = await http.post("/v1/reversals", json={"redemption_id": rid}, headers=pos(key2, "x"))
    assert other.status_code == 403
    too_much = await http.post(
        "/v1/reversals",
        json={"redemption_id": rid, "amount_fen": 4_000},
        headers=pos(key1, "rev-2"),
    )
    assert too_much.status_code == 409 and too_much.json()["refundable_fen"] == 3_000
    # The refunded 2,000 fen are spendable again.
    again = await http.post("/v1/redemptions", json={"code": codes[0]}, headers=pos(key2, "r2"))
    assert again.status_code == 201 and again.json()["amount_fen"] == 2_000

    r = await http.post("/v1/redemptions", json={"code": codes[1]}, headers=pos(key1, "r3"))
    late_rid = r.json()["redemption_id"]
    await sleep_until(datetime.fromisoformat(r.json()["redeemed_at"]) + timedelta(seconds=5))
    late = await http.post(
        "/v1/reversals", json={"redemption_id": late_rid}, headers=pos(key1, "rev-late")
    )
    assert late.status_code == 409 and late.json()["type"].endswith("/reversal-window-closed")
    rows = await wait_for(lambda: ledger_rows_when(db, campaign["id"], 4))
    assert sorted(r["amount_fen"] for r in rows) == [-2_000, 2_000, 5_000, 5_000]


async def test_settlement_equals_the_ledger_and_the_csv_digest_matches(
    http, factory, db, engine, tmp_path
):
    merchant_id, api_key = await factory.merchant()
    campaign = await factory.campaign(
        quota=6, face_value_fen=3_000, stored_value=True, merchants=[merchant_id]
    )
    codes = await issued_codes(http, factory, db, campaign["id"], 6)
    rids = []
    for i, code in enumerate(codes):
        r = await http.post(
            "/v1/redemptions",
            json={"code": code, "amount_fen": 1_000 + 100 * i},
            headers=pos(api_key, f"s{i}"),
        )
        rids.append(r.json()["redemption_id"])
    for i, rid in enumerate(rids[:3]):
        r = await http.post(
            "/v1/reversals",
            json={"redemption_id": rid, "amount_fen": 100 * (i + 1)},
            headers=pos(api_key, f"v{i}"),
        )
        assert r.status_code == 201
    await wait_for(lambda: ledger_rows_when(db, campaign["id"], 9))
    today = datetime.now(UTC).astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai")).date()
    span = {"from": today.isoformat(), "to": today.isoformat()}

    async def statement():
        r = await http.get(
            f"/v1/merchants/{merchant_id}/settlements", params=span, headers=pos(api_key)
        )
        days = r.json()["days"]
        return days if days and days[0]["reversals"] == 3 else None

    (day,) = await wait_for(statement)
    ledger = await db.fetchrow(
        "SELECT sum(amount_fen) FILTER (WHERE kind = 'redemption') AS redeemed,"
        " -sum(amount_fen) FILTER (WHERE kind = 'reversal') AS reversed, sum(amount_fen) AS net"
        " FROM ledger WHERE merchant_id = $1",
        merchant_id,
    )
    assert (day["redeemed_fen"], day["reversed_fen"], day["net_fen"]) == (
        ledger["redeemed"],
        ledger["reversed"],
        ledger["net"],
    )
    assert (day["redemptions"], day["redeemed_fen"], day["reversed_fen"]) == (6, 7_500, 600)

    csv_text = (
        await http.get(
            f"/v1/merchants/{merchant_id}/settlements.csv", params=span, headers=factory.ops
        )
    ).text
    manifest = (
        await http.get(
            f"/v1/merchants/{merchant_id}/settlements/manifest", params=span, headers=pos(api_key)
        )
    ).json()
    assert hashlib.sha256(csv_text.encode()).hexdigest() == manifest["sha256"]
    assert manifest["rows"] == 1 and manifest["net_fen"] == 6_900
    _, other_key = await factory.merchant()
    r = await http.get(
        f"/v1/merchants/{merchant_id}/settlements", params=span, headers=pos(other_key)
    )
    assert r.status_code == 403

    ok = await ledger_verify(engine, merchant_id)
    assert ok.returncode == 0 and json.loads(ok.stdout)["broken"] is None
    assert json.loads(ok.stdout)["rows"] == 9
    await db.execute(
        "UPDATE ledger SET amount_fen = amount_fen + 1 WHERE merchant_id = $1 AND seq = 4",
        merchant_id,
    )
    bad = await ledger_verify(engine, merchant_id)
    assert bad.returncode == 1
    assert json.loads(bad.stdout)["broken"]["seq"] == 4


async def test_keys_scoped_revoked_and_rotated(http, factory, db):
    merchant_id, first_key = await factory.merchant()
    campaign = await factory.campaign(quota=2, merchants=[merchant_id])
    codes = await issued_codes(http, factory, db, campaign["id"], 2)
    r = await http.post(
        f"/v1/merchants/{merchant_id}/stores",
        json={"id": "s1", "name": "Store 1"},
        headers=factory.ops,
    )
    assert r.status_code == 201
    store_key = (
        await http.post(
            f"/v1/merchants/{merchant_id}/keys", json={"store_id": "s1"}, headers=factory.ops
        )
    ).json()
    r = await http.post(
        "/v1/redemptions", json={"code": codes[0]}, headers=pos(store_key["api_key"], "a")
    )
    assert r.status_code == 201

    rotated = await http.post("/v1/me/keys/rotate", headers=pos(store_key["api_key"]))
    assert rotated.status_code == 201 and rotated.json()["store_id"] == "s1"
    old = await http.post(
        "/v1/codes/verify", json={"code": codes[1]}, headers=pos(store_key["api_key"])
    )
    assert old.status_code == 401
    # Used once (so its identity is cached beside the decisions), then revoked: the very
    # next request with it is refused.
    used = await http.post("/v1/codes/verify", json={"code": codes[1]}, headers=pos(first_key))
    assert used.status_code == 200
    keys = (await http.get(f"/v1/merchants/{merchant_id}/keys", headers=factory.ops)).json()["keys"]
    first_id = next(k["key_id"] for k in keys if k["store_id"] is None)
    r = await http.delete(f"/v1/merchants/{merchant_id}/keys/{first_id}", headers=factory.ops)
    assert r.status_code == 204
    assert (
        await http.post("/v1/codes/verify", json={"code": codes[1]}, headers=pos(first_key))
    ).status_code == 401
    r = await http.post(
        "/v1/codes/verify", json={"code": codes[1]}, headers=pos(rotated.json()["api_key"])
    )
    assert r.status_code == 200 and r.json()["redeemable"] is True
    bad_store = await http.post(
        f"/v1/merchants/{merchant_id}/keys", json={"store_id": "nope"}, headers=factory.ops
    )
    assert bad_store.status_code == 422


async def test_verify_and_the_guessing_throttle(http, factory, db):
    merchant_id, api_key = await factory.merchant()
    _, outsider_key = await factory.merchant()
    campaign = await factory.campaign(quota=1, merchants=[merchant_id])
    (code,) = await issued_codes(http, factory, db, campaign["id"], 1)
    r = await http.post(
        "/v1/codes/verify", json={"code": code}, headers=pos(api_key, terminal="t1")
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["genuine"], body["redeemable"], body["campaign_id"]) == (
        True,
        True,
        campaign["id"],
    )
    r = await http.post("/v1/codes/verify", json={"code": code}, headers=pos(outsider_key))
    assert r.json()["redeemable"] is False and r.json()["reason"] == "not-enrolled"

    forged = [code[:60] + c + code[61:] for c in "0123456789ABCDEFGHJK" if c != code[60]]
    answers = []
    for guess in forged[:10]:
        answers.append(
            await http.post(
                "/v1/codes/verify", json={"code": guess}, headers=pos(api_key, terminal="t1")
            )
        )
    assert {a.status_code for a in answers} == {422}
    assert len({(a.json()["type"], a.json()["detail"]) for a in answers}) == 1  # all alike
    blocked = await http.post(
        "/v1/codes/verify", json={"code": code}, headers=pos(api_key, terminal="t1")
    )
    assert blocked.status_code == 429 and 0 < int(blocked.headers["Retry-After"]) <= 60
    redeem = await http.post(
        "/v1/redemptions", json={"code": code}, headers=pos(api_key, "x", "t1")
    )
    assert redeem.status_code == 429
    # Nothing changed: the voucher is still redeemable for this merchant's other keys later.
    state = await db.fetchval("SELECT count(*) FROM ledger WHERE campaign_id = $1", campaign["id"])
    assert state == 0


async def test_offline_kit_verifies_codes_with_published_keys(http, factory, db, tmp_path, engine):
    merchant_id, _ = await factory.merchant()
    campaign = await factory.campaign(quota=1, merchants=[merchant_id])
    (code,) = await issued_codes(http, factory, db, campaign["id"], 1)
    keys_doc = (await http.get("/v1/keys")).json()
    assert keys_doc["keys"][0]["created_at"] and "signs_until" in keys_doc["keys"][0]
    path = tmp_path / "keys.json"
    path.write_text(json.dumps(keys_doc))

    async def check(c: str, option: str = "--published-keys") -> subprocess.CompletedProcess:
        argv = [sys.executable, "-m", "engine.cli.main", "codes", "verify", c, option, str(path)]
        return await asyncio.to_thread(
            subprocess.run, argv, capture_output=True, text=True, check=False
        )

    ok = await check(code)
    assert ok.returncode == 0 and json.loads(ok.stdout)["campaign_number"] == campaign["number"]
    bad = await check(code[:-2] + ("00" if code[-2:] != "00" else "10"))
    assert bad.returncode == 1
    # The option's old name still works for a release, and says it is going.
    old = await check(code, "--keys")
    assert old.returncode == 0 and "deprecated" in old.stderr
    assert json.loads(old.stdout) == json.loads(ok.stdout)
