"""The engine tried as an attacker would: a cashier with a store key, a worker with a token,
a merchant with an account, a stranger on the network. Each case of issue 11 in turn."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from engine.domain.event_auth import EventKeys
from engine.events import (
    CLAIM_ADMITTED,
    VOUCHER_REDEEMED,
    ClaimAdmitted,
    VoucherRedeemed,
)
from engine.keyfiles import event_keys_of
from tests.helpers.api import issued_codes, pos
from tests.helpers.books import parked
from tests.helpers.waiting import wait_for


async def _store_key(http, factory, merchant_id: str, store_id: str) -> str:
    r = await http.post(
        f"/v1/merchants/{merchant_id}/stores",
        json={"id": store_id, "name": store_id},
        headers=factory.ops,
    )
    assert r.status_code == 201, r.text
    r = await http.post(
        f"/v1/merchants/{merchant_id}/keys", json={"store_id": store_id}, headers=factory.ops
    )
    assert r.status_code == 201, r.text
    return r.json()["api_key"]


async def test_a_store_key_acts_for_its_own_store_only(http, factory, db):
    merchant_id, merchant_key = await factory.merchant()
    east = await _store_key(http, factory, merchant_id, "east")
    west = await _store_key(http, factory, merchant_id, "west")
    campaign = await factory.campaign(quota=2, merchants=[merchant_id])
    codes = await issued_codes(http, factory, db, campaign["id"], 2)
    east_redemption = await http.post(
        "/v1/redemptions", json={"code": codes[0]}, headers=pos(east, "e1")
    )
    assert east_redemption.status_code == 201, east_redemption.text

    # Every route that manages the merchant's account refuses a store key, whatever store.
    for method, path, body in (
        ("PUT", "webhook", {"url": "http://203.0.113.9/hook"}),
        ("DELETE", "webhook", None),
        ("GET", "webhook/deliveries", None),
        ("GET", "settlements?from=2026-01-01&to=2026-01-02", None),
        ("GET", "settlements.csv?from=2026-01-01&to=2026-01-02", None),
        ("GET", "settlements/manifest?from=2026-01-01&to=2026-01-02", None),
    ):
        r = await http.request(
            method, f"/v1/merchants/{merchant_id}/{path}", json=body, headers=pos(east)
        )
        assert r.status_code == 403, (method, path, r.status_code, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    assert (
        await db.fetchval(
            "SELECT count(*) FROM merchant_webhooks WHERE merchant_id = $1", merchant_id
        )
        == 0
    )

    # Another store's cashier cannot give the east store's redemption back...
    rid = east_redemption.json()["redemption_id"]
    stolen = await http.post("/v1/reversals", json={"redemption_id": rid}, headers=pos(west, "x"))
    assert stolen.status_code == 403, stolen.text
    # ...while the east store and the merchant-wide key can.
    own = await http.post(
        "/v1/reversals", json={"redemption_id": rid, "amount_fen": 100}, headers=pos(east, "r1")
    )
    assert own.status_code == 201, own.text
    wide = await http.post(
        "/v1/reversals", json={"redemption_id": rid}, headers=pos(merchant_key, "r2")
    )
    assert wide.status_code == 201, wide.text
    hook = await http.put(
        f"/v1/merchants/{merchant_id}/webhook",
        json={"url": "http://127.0.0.77:9/hook"},
        headers=pos(merchant_key),
    )
    assert hook.status_code == 200, hook.text


async def test_a_worker_named_like_the_current_minute_breaks_no_claim(http, factory):
    campaign = await factory.campaign(quota=10, per_worker_limit=1)
    others = await factory.workers(3)
    for _ in range(3):  # the minute may turn between naming the worker and the claims
        minute = str(int(time.time()) // 60)
        r = await http.post(
            "/v1/workers/bulk",
            json={"workers": [{"id": minute, "category": "courier"}]},
            headers=factory.ops,
        )
        assert r.status_code == 200, r.text
        first = await http.post(
            f"/v1/campaigns/{campaign['id']}/claims",
            headers=factory.worker_headers(minute, f"k-{uuid.uuid4().hex[:6]}"),
        )
        answers = [
            await http.post(
                f"/v1/campaigns/{campaign['id']}/claims",
                headers=factory.worker_headers(w, f"k-{minute}"),
            )
            for w in others
        ]
        if str(int(time.time()) // 60) == minute:
            break
    assert first.status_code in (201, 409), first.text  # 409: the limit, on a retried minute
    assert [a.status_code for a in answers] == [201, 201, 201], [a.text for a in answers]
    view = (await http.get(f"/v1/campaigns/{campaign['id']}", headers=factory.ops)).json()
    assert view["admitted"] == 4 and view["remaining"] == 6


INTERNAL_HOSTS = [
    "127.0.0.1",
    "localhost",
    "[::1]",
    "10.1.2.3",
    "172.16.0.5",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "2130706433",  # 127.0.0.1 in decimal
    "0x7f000001",  # ...in hex
    "0177.0.0.1",  # ...in octal
    "127.1",  # ...abbreviated
    "[::ffff:127.0.0.1]",  # IPv4-mapped IPv6
    "[::ffff:a9fe:a9fe]",  # 169.254.169.254, mapped and in hex
    "[64:ff9b::a00:1]",  # NAT64 of 10.0.0.1
    "[fe80::1]",
    "[fc00::1]",
    "[ff02::1]",
]


@pytest.mark.parametrize("host", INTERNAL_HOSTS)
async def test_webhooks_never_reach_internal_addresses(http, factory, host):
    merchant_id, api_key = await factory.merchant()
    r = await http.put(
        f"/v1/merchants/{merchant_id}/webhook",
        json={"url": f"http://{host}:8080/hook"},
        headers=pos(api_key),
    )
    assert r.status_code == 422, (host, r.status_code, r.text)
    assert r.headers["content-type"] == "application/problem+json"
    # One answer for every refusal: nothing about which internal hosts exist.
    assert r.json()["detail"] == "the webhook host must resolve to public internet addresses only"


async def test_delivery_checks_the_address_again(http, factory, db):
    """A URL stored while its host was allowed (or written around the API) is refused at
    delivery; the merchant sees a coarse reason, not the network's answer."""
    merchant_id, api_key = await factory.merchant()
    await db.execute(
        "INSERT INTO merchant_webhooks (merchant_id, url, secret) VALUES ($1, $2, 'whsec_x')",
        merchant_id,
        "http://127.0.0.1:1/hook",
    )
    campaign = await factory.campaign(quota=1, merchants=[merchant_id])
    (code,) = await issued_codes(http, factory, db, campaign["id"], 1)
    r = await http.post("/v1/redemptions", json={"code": code}, headers=pos(api_key, "d"))
    assert r.status_code == 201

    async def failed():
        rows = (
            await http.get(f"/v1/merchants/{merchant_id}/webhook/deliveries", headers=pos(api_key))
        ).json()["deliveries"]
        return rows if rows and rows[0]["last_error"] else None

    (delivery,) = await wait_for(failed, timeout_s=30)
    assert delivery["last_error"] == "address-refused" and delivery["status"] != "delivered"


async def test_a_revoked_voucher_does_not_verify_as_redeemable(http, factory, db):
    merchant_id, api_key = await factory.merchant()
    _stranger, stranger_key = await factory.merchant()
    campaign = await factory.campaign(quota=1, merchants=[merchant_id])
    (code,) = await issued_codes(http, factory, db, campaign["id"], 1)
    r = await http.post(
        "/v1/ops/vouchers/revoke", json={"code": code, "reason": "fraud ring"}, headers=factory.ops
    )
    assert r.status_code == 200, r.text
    verified = await http.post("/v1/codes/verify", json={"code": code}, headers=pos(api_key))
    assert verified.status_code == 200
    assert (verified.json()["redeemable"], verified.json()["reason"]) == (False, "revoked")
    # The redemption refuses for the same reason, in the same words.
    redeemed = await http.post("/v1/redemptions", json={"code": code}, headers=pos(api_key, "r"))
    assert redeemed.status_code == 410 and redeemed.json()["type"].endswith("/revoked")
    # A merchant not enrolled in the campaign learns that the code is genuine, not its value.
    other = (
        await http.post("/v1/codes/verify", json={"code": code}, headers=pos(stranger_key))
    ).json()
    assert other["face_value_fen"] is None and other["balance_fen"] is None
    assert other["reason"] == "revoked" and other["redeemable"] is False


async def test_a_reversal_key_reused_for_another_redemption_is_refused(http, factory, db):
    merchant_id, api_key = await factory.merchant()
    campaign = await factory.campaign(quota=2, merchants=[merchant_id])
    codes = await issued_codes(http, factory, db, campaign["id"], 2)
    rids = []
    for i, code in enumerate(codes):
        r = await http.post("/v1/redemptions", json={"code": code}, headers=pos(api_key, f"r{i}"))
        assert r.status_code == 201
        rids.append(r.json()["redemption_id"])
    first = await http.post(
        "/v1/reversals", json={"redemption_id": rids[0]}, headers=pos(api_key, "same")
    )
    assert first.status_code == 201
    again = await http.post(
        "/v1/reversals", json={"redemption_id": rids[0]}, headers=pos(api_key, "same")
    )
    assert again.status_code == 201 and again.json() == first.json()  # a true retry
    reused = await http.post(
        "/v1/reversals", json={"redemption_id": rids[1]}, headers=pos(api_key, "same")
    )
    assert reused.status_code == 422, reused.text
    assert reused.headers["content-type"] == "application/problem+json"
    # Nothing was given back on the second redemption: it still cannot be redeemed again.
    record = await http.post("/v1/codes/verify", json={"code": codes[1]}, headers=pos(api_key))
    assert record.json()["reason"] == "already-redeemed"


async def test_made_up_campaign_ids_add_no_metric_series(http, factory, settings):
    (worker,) = await factory.workers(1)

    async def series() -> int:
        text = (await http.get("/metrics", headers=factory.ops)).text
        return sum(1 for line in text.splitlines() if line.startswith("nuanxin_claims_total{"))

    warm = await http.post(
        f"/v1/campaigns/made-up-{uuid.uuid4().hex[:8]}/claims",
        headers=factory.worker_headers(worker, "warm"),
    )
    assert warm.status_code == 404
    before = await series()
    answers = []
    for i in range(40):
        r = await http.post(
            f"/v1/campaigns/made-up-{uuid.uuid4().hex[:8]}/claims",
            headers=factory.worker_headers(worker, f"k{i}"),
        )
        answers.append(r.status_code)
    assert set(answers) <= {404, 429} and answers[0] == 404
    assert await series() == before


async def test_made_up_campaign_ids_count_against_the_workers_rate(http, factory, settings):
    (worker,) = await factory.workers(1)
    statuses = []
    for i in range(settings.worker_requests_per_min + 5):
        r = await http.post(
            f"/v1/campaigns/nope-{i}/claims", headers=factory.worker_headers(worker, f"k{i}")
        )
        statuses.append(r.status_code)
        if r.status_code == 429:
            break
    assert statuses[-1] == 429 and set(statuses[:-1]) == {404}


async def test_a_removed_merchant_can_no_longer_redeem(http, factory, db):
    kept, kept_key = await factory.merchant()
    removed, removed_key = await factory.merchant()
    dropped, dropped_key = await factory.merchant()
    campaign = await factory.campaign(quota=3, merchants=[kept, removed, dropped])
    codes = await issued_codes(http, factory, db, campaign["id"], 3)
    r = await http.delete(
        f"/v1/campaigns/{campaign['id']}/merchants/{removed}", headers=factory.ops
    )
    assert r.status_code == 204, r.text
    # A new version of the definition without a merchant ends its enrolment too.
    r = await http.patch(
        f"/v1/campaigns/{campaign['id']}",
        json={"version": 1, "merchants": [kept]},
        headers=factory.ops,
    )
    assert r.status_code == 200, r.text
    for key, code in ((removed_key, codes[0]), (dropped_key, codes[1])):
        refused = await http.post("/v1/redemptions", json={"code": code}, headers=pos(key, "x"))
        assert refused.status_code == 403, refused.text
    ok = await http.post("/v1/redemptions", json={"code": codes[2]}, headers=pos(kept_key, "y"))
    assert ok.status_code == 201, ok.text
    again = await http.delete(
        f"/v1/campaigns/{campaign['id']}/merchants/{removed}", headers=factory.ops
    )
    assert again.status_code == 404


async def test_backdated_offline_items_are_refused(http, factory, db, settings):
    merchant_id, api_key = await factory.merchant()
    campaign = await factory.campaign(quota=2, merchants=[merchant_id])
    codes = await issued_codes(http, factory, db, campaign["id"], 2)
    now = datetime.now(UTC)
    r = await http.post(
        "/v1/redemptions/batch",
        json={
            "items": [
                {
                    "code": codes[0],
                    "idempotency_key": "old",
                    "redeemed_at": (now - timedelta(hours=25)).isoformat(),
                },
                {
                    "code": codes[1],
                    "idempotency_key": "recent",
                    "redeemed_at": (now - timedelta(hours=2)).isoformat(),
                },
            ]
        },
        headers=pos(api_key),
    )
    assert r.status_code == 200, r.text
    old, recent = r.json()["results"]
    assert old["status"] == "rejected" and "24 hours" in old["detail"]
    assert recent["status"] == "accepted"
    assert await db.fetchval(
        "SELECT count(*) FROM ledger WHERE campaign_id = $1", campaign["id"]
    ) in (0, 1)  # the recent one, once the ledger agent has it; never the old one
    verify = await http.post("/v1/codes/verify", json={"code": codes[0]}, headers=pos(api_key))
    assert verify.json()["redeemable"] is True


async def test_a_slow_body_is_cut_off(factory, engine):
    """One byte every second stays under the per-chunk limit; the total limit ends it."""
    reader, writer = await asyncio.open_connection("127.0.0.1", engine.port)
    body = json.dumps({"code": "X" * 40}).encode()
    head = (
        f"POST /v1/codes/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    writer.write(head)
    started = time.monotonic()
    answer = b""
    try:
        for byte in body:
            writer.write(bytes([byte]))
            await writer.drain()
            try:
                answer = await asyncio.wait_for(reader.read(4096), 1.0)
            except TimeoutError:
                continue
            break
        while answer and b"request-timeout" not in answer:  # the body may come apart
            more = await asyncio.wait_for(reader.read(4096), 5)
            if not more:
                break
            answer += more
    except ConnectionError:
        pass
    finally:
        writer.close()
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"request-timeout" in answer
    assert time.monotonic() - started < len(body)  # cut off before the body ended


async def test_bulk_bodies_are_refused_before_they_are_read(engine):
    """A stranger's megabytes are not buffered: the credential is checked first, so the
    answer comes while the announced body has not even started to arrive."""
    for path in ("/v1/workers/bulk", "/v1/redemptions/batch", "/v1/workers/import"):
        reader, writer = await asyncio.open_connection("127.0.0.1", engine.port)
        try:
            writer.write(
                f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nxm_no\r\n"
                f"Content-Type: application/json\r\nContent-Length: 4000000\r\n\r\n{{".encode()
            )
            await writer.drain()
            answer = await asyncio.wait_for(reader.read(4096), 5)
        finally:
            writer.close()
        assert answer.startswith(b"HTTP/1.1 401"), (path, answer[:200])
        assert b"application/problem+json" in answer


async def test_wrong_credentials_are_throttled_per_address(settings, engine):
    transport = httpx.AsyncHTTPTransport(local_address="127.0.0.9")
    async with httpx.AsyncClient(
        base_url=engine.base_url, transport=transport, timeout=30
    ) as guesser:
        limit = settings.credential_failures_per_min
        # 50 at a time: a thousand requests queued in httpx's pool at once cost it 20 s.
        sem = asyncio.Semaphore(50)

        async def guess(i: int) -> httpx.Response:
            async with sem:
                headers = {"Authorization": f"Bearer nxm_guess{i}"}
                return await guesser.post("/v1/codes/verify", json={"code": "x"}, headers=headers)

        statuses = await asyncio.gather(*(guess(i) for i in range(limit)))
        codes = [r.status_code for r in statuses]
        # Each wrong key cost a look-up until the allowance was used up (a few in flight
        # when it ran out may still have been looked up).
        assert set(codes) <= {401, 429} and codes.count(401) >= limit, Counter(codes)
        blocked = await guesser.post(
            "/v1/codes/verify", json={"code": "x"}, headers={"Authorization": "Bearer nxm_x"}
        )
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    # Other addresses are not blocked by it.
    async with httpx.AsyncClient(base_url=engine.base_url, timeout=30) as other:
        r = await other.post(
            "/v1/codes/verify", json={"code": "x"}, headers={"Authorization": "Bearer nxm_y"}
        )
        assert r.status_code == 401


async def test_ops_actions_name_the_person_and_revoked_tokens_stop(http, factory):
    r = await http.post("/v1/ops/credentials", json={"name": "li.wei"}, headers=factory.ops)
    assert r.status_code == 201, r.text
    li = r.json()
    assert li["token"].startswith("nxo_")
    # A header naming someone else changes nothing: the credential names the actor.
    mine = {"Authorization": f"Bearer {li['token']}", "X-Ops-Actor": "zhang.san"}
    merchant_id = factory.unique("m")
    r = await http.post("/v1/merchants", json={"id": merchant_id, "name": "Shop"}, headers=mine)
    assert r.status_code == 201, r.text
    entries = (
        await http.get(
            "/v1/ops/audit", params={"target": f"merchant:{merchant_id}"}, headers=factory.ops
        )
    ).json()["entries"]
    assert [e["actor"] for e in entries] == ["ops:li.wei"]
    listed = (await http.get("/v1/ops/credentials", headers=factory.ops)).json()["credentials"]
    assert li["token"] not in json.dumps(listed)
    r = await http.delete(f"/v1/ops/credentials/{li['credential_id']}", headers=factory.ops)
    assert r.status_code == 204
    r = await http.get("/v1/ops/audit", headers=mine)
    assert r.status_code == 401


async def _produce(settings, topic: str, key: bytes, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(settings.topic(topic), value, key=key)
    finally:
        await producer.stop()


async def test_forged_events_are_dead_lettered_and_never_applied(http, factory, settings, db):
    merchant_id, _ = await factory.merchant()
    campaign = await factory.campaign(quota=5, merchants=[merchant_id])
    number = await db.fetchval("SELECT number FROM campaigns WHERE id = $1", campaign["id"])
    (worker,) = await factory.workers(1)
    forged_claim = ClaimAdmitted(
        claim_id=f"{campaign['id']}.{uuid.uuid4().hex}",
        campaign_id=campaign["id"],
        campaign_number=number,
        serial=4,
        worker_id=worker,
        face_value_fen=300,
        valid_until=int(time.time()) + 3600,
        admitted_at_ms=int(time.time() * 1000),
    ).signed(EventKeys.new("e"))  # a key the engine does not hold
    forged_redemption = VoucherRedeemed(
        redemption_id=f"{campaign['id']}.{uuid.uuid4().hex}",
        campaign_id=campaign["id"],
        serial=1,
        merchant_id=merchant_id,
        face_value_fen=300,
        redeemed_at_ms=int(time.time() * 1000),
        amount_fen=300,
    )  # no MAC at all
    await _produce(settings, CLAIM_ADMITTED, b"f", forged_claim.dumps())
    await _produce(settings, VOUCHER_REDEEMED, merchant_id.encode(), forged_redemption.dumps())
    # An authentic claim after them is issued: the stream goes on.
    r = await http.post(
        f"/v1/campaigns/{campaign['id']}/claims", headers=factory.worker_headers(worker, "real")
    )
    assert r.status_code == 201
    await wait_for(
        lambda: db.fetchval("SELECT 1 FROM vouchers WHERE claim_id = $1", r.json()["claim_id"])
    )

    wanted = {forged_claim.claim_id, forged_redemption.redemption_id}
    found = await parked(settings, wanted)
    assert all("ForgedEvent" in found[i]["error"] for i in wanted)
    assert (
        await db.fetchval(
            "SELECT count(*) FROM vouchers WHERE claim_id = $1", forged_claim.claim_id
        )
        == 0
    )
    assert await db.fetchval("SELECT count(*) FROM ledger WHERE merchant_id = $1", merchant_id) == 0
    # The engine's own events verify with its keys; the forged ones do not.
    assert not forged_claim.authentic(event_keys_of(settings))
