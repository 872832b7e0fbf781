"""The engine's HTTP API as the tests call it: headers, codes, problems."""

from __future__ import annotations

from typing import Any

import httpx

from tests.helpers.factory import Factory
from tests.helpers.waiting import wait_for

PROBLEM = "application/problem+json"
# The address the tests' webhook receiver listens on: trusted by name in the settings.
RECEIVER_HOST = "127.0.0.77"


# A body no JSON parser should follow all the way down.
NESTED = b"[" * 3000


async def store_key(
    http: httpx.AsyncClient, factory: Factory, merchant_id: str, store_id: str
) -> str:
    """A new store of the merchant, and a key for it alone."""
    body = {"id": store_id, "name": store_id}
    r = await http.post(f"/v1/merchants/{merchant_id}/stores", json=body, headers=factory.ops)
    assert r.status_code == 201, r.text
    body = {"store_id": store_id}
    r = await http.post(f"/v1/merchants/{merchant_id}/keys", json=body, headers=factory.ops)
    assert r.status_code == 201, r.text
    return str(r.json()["api_key"])


async def balance(http: httpx.AsyncClient, api_key: str, code: str) -> int:
    """What is left on a voucher, as its merchant's verification says."""
    r = await http.post(
        "/v1/codes/verify", json={"code": code}, headers={"Authorization": f"Bearer {api_key}"}
    )
    assert r.status_code == 200, r.text
    return int(r.json()["balance_fen"])


async def redeemable_code(
    http: httpx.AsyncClient,
    factory: Factory,
    worker_id: str,
    claim_id: str,
    timeout_s: float = 60.0,
) -> str:
    """Wait until the claim says issued, and return its code.

    The issuer writes PostgreSQL first and activates the voucher in Redis after; the
    claim answers "issued" only once it is active, so the code can be redeemed from then
    on. Polling this instead of PostgreSQL (or sleeping) is what keeps tests exact on a
    slow machine.
    """
    headers = {"Authorization": f"Bearer {factory.token(worker_id)}"}

    async def issued() -> str | None:
        r = await http.get(f"/v1/claims/{claim_id}", headers=headers)
        found = r.status_code == 200 and r.json()["voucher"]
        return str(r.json()["voucher"]["code"]) if found else None

    code = await wait_for(issued, timeout_s)
    assert code is not None
    return code


def pos(api_key: str, key: str | None = None, terminal: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {api_key}"}
    if key:
        headers["Idempotency-Key"] = key
    if terminal:
        headers["X-Terminal-Id"] = terminal
    return headers


async def issued_codes(
    http: httpx.AsyncClient, factory: Factory, db: Any, campaign_id: str, n: int
) -> list[str]:
    """Claim n vouchers with n new workers; their codes, in claim order, once redeemable."""
    claims = []
    for w in await factory.workers(n):
        r = await http.post(
            f"/v1/campaigns/{campaign_id}/claims", headers=factory.worker_headers(w, "k")
        )
        assert r.status_code == 201, r.text
        claims.append((w, r.json()["claim_id"]))
    return [await redeemable_code(http, factory, w, claim_id) for w, claim_id in claims]


def assert_problem(r: httpx.Response, status: int, slug: str | None = None) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["status"] == status and body["title"] and body["type"].startswith("https://")
    if slug:
        assert body["type"].endswith("/" + slug), body


def claims_url(campaign_id: str) -> str:
    return f"/v1/campaigns/{campaign_id}/claims"


async def redeem(http: httpx.AsyncClient, api_key: str, code: str, key: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {api_key}", "Idempotency-Key": key}
    return await http.post("/v1/redemptions", json={"code": code}, headers=headers)


async def places_campaign(
    http: httpx.AsyncClient,
    factory: Factory,
    kind: str,
    places: list[dict[str, Any]],
    **fields: Any,
) -> tuple[str, str]:
    """A campaign of one merchant whose places (`kind`: "stations" or "slots") are set;
    its id and the merchant's."""
    merchant, _ = await factory.merchant()
    campaign = await factory.campaign(**{kind: True, "merchants": [merchant], **fields})
    r = await http.put(
        f"/v1/campaigns/{campaign['id']}/{kind}", json={kind: places}, headers=factory.ops
    )
    assert r.status_code == 200, r.text
    return campaign["id"], merchant


def claim_place(
    http: httpx.AsyncClient,
    factory: Factory,
    cid: str,
    worker: str,
    place: dict[str, str],
    key: str = "k",
) -> Any:
    """A worker's claim naming its place (`{"station_id": ..}`, `{"slot_id": ..}`, or none)."""
    return http.post(
        f"/v1/campaigns/{cid}/claims", json=place, headers=factory.worker_headers(worker, key)
    )


async def places_figures(
    http: httpx.AsyncClient, factory: Factory, cid: str, kind: str
) -> dict[str, dict[str, Any]]:
    """Operations' figures of each place, by its id."""
    r = await http.get(f"/v1/ops/campaigns/{cid}/{kind}", headers=factory.ops)
    assert r.status_code == 200, r.text
    id_field = {"stations": "station_id", "slots": "slot_id"}[kind]
    return {p[id_field]: p for p in r.json()[kind]}
