"""Webhooks: signed, retried with backoff after failures, delivered at least once."""

from __future__ import annotations

import json
import time

from aiohttp import web

from engine.domain.webhooks import EVENT_ID_HEADER, SIGNATURE_HEADER, verify
from engine.stack.processes import free_port
from tests.helpers.api import RECEIVER_HOST, issued_codes, pos
from tests.helpers.waiting import wait_for


async def test_redemption_and_reversal_reach_the_merchant_signed(http, factory, db):
    received: list[dict] = []
    refused = {"n": 0}

    async def receive(request: web.Request) -> web.Response:
        if refused["n"] < 2:  # the merchant's server is down at first
            refused["n"] += 1
            return web.Response(status=503)
        body = await request.text()
        received.append(
            {
                "body": body,
                "signature": request.headers[SIGNATURE_HEADER],
                "event_id": request.headers[EVENT_ID_HEADER],
            }
        )
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hooks", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, RECEIVER_HOST, port).start()
    try:
        merchant_id, api_key = await factory.merchant()
        r = await http.put(
            f"/v1/merchants/{merchant_id}/webhook",
            json={"url": f"http://{RECEIVER_HOST}:{port}/hooks"},
            headers=pos(api_key),
        )
        assert r.status_code == 200, r.text
        secret = r.json()["secret"]
        _, other_key = await factory.merchant()
        forbidden = await http.put(
            f"/v1/merchants/{merchant_id}/webhook",
            json={"url": "http://127.0.0.1:1/x"},
            headers=pos(other_key),
        )
        assert forbidden.status_code == 403

        campaign = await factory.campaign(quota=1, merchants=[merchant_id])
        (code,) = await issued_codes(http, factory, db, campaign["id"], 1)
        redemption = (
            await http.post("/v1/redemptions", json={"code": code}, headers=pos(api_key, "w1"))
        ).json()
        reversal = await http.post(
            "/v1/reversals",
            json={"redemption_id": redemption["redemption_id"]},
            headers=pos(api_key, "w2"),
        )
        assert reversal.status_code == 201

        async def both():
            ids = {x["event_id"] for x in received}
            return (
                ids
                if {redemption["redemption_id"], reversal.json()["reversal_id"]} <= ids
                else None
            )

        await wait_for(both, timeout_s=30)
    finally:
        await runner.cleanup()

    for delivery in received:
        assert verify(secret, delivery["signature"], delivery["body"], int(time.time()))
        assert not verify("whsec_wrong", delivery["signature"], delivery["body"], int(time.time()))
    types = {json.loads(d["body"])["type"] for d in received}
    assert types == {"voucher.redeemed", "voucher.reversed"}
    status = (
        await http.get(f"/v1/merchants/{merchant_id}/webhook/deliveries", headers=factory.ops)
    ).json()["deliveries"]
    assert {d["status"] for d in status} == {"delivered"}
    assert sum(d["attempts"] for d in status) == 2 + 2  # two refusals, then one each
