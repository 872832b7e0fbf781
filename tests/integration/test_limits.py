"""Limits on what one request may cost: headers, strings, lists, and slow clients."""

from __future__ import annotations

import asyncio
import json
import time
from urllib.parse import urlsplit

from tests.helpers.api import assert_problem


async def test_oversize_headers_are_refused(http, factory):
    r = await http.get("/v1/ops/overview", headers=factory.ops | {"X-Padding": "p" * 20_000})
    assert_problem(r, 431, "headers-too-large")


async def test_string_and_list_lengths_are_bounded(http, factory, db):
    campaigns = await db.fetchval("SELECT count(*) FROM campaigns")
    too_long = [
        factory.campaign_body(name="n" * 201),
        factory.campaign_body(id="c" * 64),
        factory.campaign_body(merchants=[f"m{i}" for i in range(1001)]),
        factory.campaign_body(eligible_categories=["courier"] * 50),
    ]
    for body in too_long:
        r = await http.post("/v1/campaigns", json=body, headers=factory.ops)
        assert_problem(r, 422, "validation-error")
    (worker,) = await factory.workers(1)
    campaign = await factory.campaign()
    r = await http.post(
        f"/v1/campaigns/{campaign['id']}/claims",
        headers=factory.worker_headers(worker, "k" * 129),
    )
    assert_problem(r, 422, "validation-error")
    r = await http.post(
        "/v1/workers/bulk",
        json={"workers": [{"id": f"w{i}", "category": "courier"} for i in range(20_001)]},
        headers=factory.ops,
    )
    assert r.status_code in (413, 422), r.text
    assert await db.fetchval("SELECT count(*) FROM campaigns") == campaigns + 1


async def test_a_stalled_body_is_timed_out(engine, settings):
    """A client that sends headers and part of a body, then nothing, gets 408 and is let go."""
    url = urlsplit(engine.base_url)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    body = json.dumps({"code": "x" * 50}).encode()
    writer.write(
        b"POST /v1/codes/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body[:10]
    )
    await writer.drain()
    started = time.monotonic()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=30)
    waited = time.monotonic() - started
    writer.close()
    assert head.startswith(b"HTTP/1.1 408"), head
    assert b"application/problem+json" in head
    assert waited >= settings.body_chunk_timeout_s * 0.9
