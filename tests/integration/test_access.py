"""Who may call what: every endpoint x every role, worker tokens, and rate limits."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections import Counter
from pathlib import Path

import pytest

from engine.domain.mac_keys import MacKeys
from engine.domain.tokens import AUDIENCE, FORMAT, ISSUER, mint_worker_token

OPENAPI = json.loads((Path(__file__).parents[2] / "schemas" / "openapi.json").read_text())
ROLES = (
    "anonymous",
    "worker A",
    "worker B",
    "merchant enrolled",
    "store key",
    "merchant not enrolled",
    "revoked merchant key",
    "ops",
    "payout preparer",
    "payout approver",
    "payer",
    "other payer",
)
FINANCE = {"ops", "payout preparer", "payout approver"}
# Who may call each group of endpoints (by their OpenAPI tag); 'own merchant' endpoints
# name a merchant in the path: ops and that merchant only.
ALLOWED = {
    "public": set(ROLES),
    "ops": {"ops"},
    "workers": {"worker A", "worker B"},
    "merchants": {"merchant enrolled", "store key", "merchant not enrolled"},
    # A store key (of the enrolled merchant) redeems, verifies and reverses for its store;
    # only a merchant-wide key manages the account: webhook, deliveries, statements.
    "own merchant": {"ops", "merchant enrolled"},
    # A payer credential reads its own payer's statements only.
    "own payer": {"ops", "payer"},
}
# Payout batches: each of the two finance duties does its own steps, operations all.
BY_OPERATION = {
    "preparePayoutBatch": {"ops", "payout preparer"},
    "getPayoutBatch": FINANCE,
    "approvePayoutBatch": {"ops", "payout approver"},
    "getPaymentFile": {"ops", "payout preparer"},
    "importBankResult": {"ops", "payout preparer"},
    "retryPayout": {"ops", "payout preparer"},
    "cancelPayout": {"ops", "payout preparer"},
    "getPayoutTotals": FINANCE,
}
PAYER = "didi"
# Side effects a role's allowed call would have on the other rows: done last, or skipped.
LAST = ("/v1/me/keys/rotate", "/v1/campaigns/{campaign_id}/merchants/{merchant_id}")


def endpoints() -> list[tuple[str, str, set[str]]]:
    """Every endpoint, with the roles allowed to call it."""
    out = [("GET", "/metrics", ALLOWED["ops"])]
    for path, operations in OPENAPI["paths"].items():
        for method, op in operations.items():
            group = op["tags"][0]
            if group == "merchants" and "{merchant_id}" in path:
                group = "own merchant"
            if group == "payers" and "{payer_id}" in path:
                group = "own payer"
            allowed = BY_OPERATION.get(op["operationId"], ALLOWED[group])
            out.append((method.upper(), path, allowed))
    return sorted(out, key=lambda e: e[1] in LAST)


async def credential(http, factory, name: str, role: str, payer_id: str | None = None) -> dict:
    body = {"name": name, "role": role} | ({"payer_id": payer_id} if payer_id else {})
    r = await http.post("/v1/ops/credentials", json=body, headers=factory.ops)
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


@pytest.fixture(scope="module")
async def world(http, factory):
    """Two workers with a claim each, an enrolled merchant, another one, a revoked key."""
    enrolled, enrolled_key = await factory.merchant()
    _other, other_key = await factory.merchant()
    revoked, revoked_key = await factory.merchant()
    keys = (await http.get(f"/v1/merchants/{revoked}/keys", headers=factory.ops)).json()["keys"]
    r = await http.delete(f"/v1/merchants/{revoked}/keys/{keys[0]['key_id']}", headers=factory.ops)
    assert r.status_code == 204
    r = await http.post(
        f"/v1/merchants/{enrolled}/stores",
        json={"id": "till-1", "name": "Till"},
        headers=factory.ops,
    )
    assert r.status_code == 201, r.text
    store_key = (
        await http.post(
            f"/v1/merchants/{enrolled}/keys", json={"store_id": "till-1"}, headers=factory.ops
        )
    ).json()["api_key"]
    campaign = await factory.campaign(quota=10, merchants=[enrolled])
    a, b, spare = await factory.workers(3)
    claims = {}
    for w in (a, b):
        r = await http.post(
            f"/v1/campaigns/{campaign['id']}/claims", headers=factory.worker_headers(w, "k")
        )
        claims[w] = r.json()["claim_id"]
    return {
        "campaign": campaign["id"],
        "merchant": enrolled,
        "workers": (a, b),
        "spare_worker": spare,
        "claim": claims[a],
        "auth": {
            "anonymous": {},
            "worker A": {"Authorization": f"Bearer {factory.token(a)}"},
            "worker B": {"Authorization": f"Bearer {factory.token(b)}"},
            "merchant enrolled": {"Authorization": f"Bearer {enrolled_key}"},
            "store key": {"Authorization": f"Bearer {store_key}"},
            "merchant not enrolled": {"Authorization": f"Bearer {other_key}"},
            "revoked merchant key": {"Authorization": f"Bearer {revoked_key}"},
            "ops": factory.ops,
            "payout preparer": await credential(http, factory, "li.prep", "payout-preparer"),
            "payout approver": await credential(http, factory, "wang.appr", "payout-approver"),
            "payer": await credential(http, factory, "didi.fin", "payer", PAYER),
            "other payer": await credential(http, factory, "t3.fin", "payer", "t3go"),
        },
    }


def concrete(path: str, world: dict) -> str:
    # Revoking a worker's tokens would lock worker A out of the tests after this one.
    worker = world["spare_worker"] if path.endswith("/tokens/revoke") else world["workers"][0]
    return (
        path.replace("{campaign_id}", world["campaign"])
        .replace("{merchant_id}", world["merchant"])
        .replace("{worker_id}", worker)
        .replace("{claim_id}", world["claim"])
        .replace("{key_id}", "k-none")
        .replace("{payer_id}", PAYER)
    )


async def test_every_endpoint_for_every_role(http, world):
    known = {op["operationId"] for ops in OPENAPI["paths"].values() for op in ops.values()}
    assert set(BY_OPERATION) <= known, set(BY_OPERATION) - known
    wrong = []
    for method, path, allowed_roles in endpoints():
        for role in ROLES:
            headers = world["auth"][role] | {"Idempotency-Key": f"matrix-{role}"}
            r = await http.request(method, concrete(path, world), headers=headers, json={})
            allowed = role in allowed_roles
            if allowed and r.status_code in (401, 403):
                wrong.append(f"{role} refused {r.status_code} on {method} {path}")
            if not allowed and r.status_code not in (401, 403):
                wrong.append(f"{role} got {r.status_code} on {method} {path}")
            if r.status_code >= 400 and path != "/metrics":
                assert r.headers["content-type"] == "application/problem+json", (method, path)
            assert r.status_code < 500, (role, method, path, r.text)
    assert not wrong, "\n".join(wrong)


async def test_a_worker_sees_only_their_own_claims(http, world):
    url = f"/v1/claims/{world['claim']}"
    assert (await http.get(url, headers=world["auth"]["worker A"])).status_code == 200
    other = await http.get(url, headers=world["auth"]["worker B"])
    assert other.status_code == 404  # not 403: B learns nothing about A's claim


def _forged(claims: dict, keys: MacKeys) -> str:
    """Our token format over any claims, MACed with `keys`."""
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    signed = f"{FORMAT}.{keys.active}.{payload}"
    mac = base64.urlsafe_b64encode(keys.mac(signed.encode())).rstrip(b"=").decode()
    return f"{signed}.{mac}"


async def test_bad_worker_tokens_are_refused_by_the_api(http, factory, world, db):
    (worker,) = await factory.workers(1)
    now = int(time.time())
    base = {"iss": ISSUER, "aud": AUDIENCE, "sub": worker, "cat": "courier", "iat": now}
    ours = factory.token_keys
    jwt_none = ".".join(
        base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()
        for part in ({"alg": "none"}, base | {"exp": now + 600})
    )
    tokens = {
        "expired": mint_worker_token(ours, worker, now - 7200, 600),
        "another key": mint_worker_token(MacKeys.new("t"), worker, now, 600),
        "wrong audience": _forged(base | {"aud": "other", "exp": now + 600}, ours),
        "a JWT with alg none": jwt_none + ".",
    }
    campaign = (await factory.campaign(quota=5))["id"]
    url = f"/v1/campaigns/{campaign}/claims"
    for name, token in tokens.items():
        r = await http.post(
            url, headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "t"}
        )
        assert r.status_code == 401, (name, r.text)
        assert token not in r.text
    # A refused token decides nothing: the admission counter, read at once, says so.
    view = await http.get(f"/v1/campaigns/{campaign}", headers=factory.ops)
    assert view.json()["admitted"] == 0
    count = "SELECT count(*) FROM vouchers WHERE worker_id = $1"
    assert await db.fetchval(count, worker) == 0


async def test_worker_rate_limit_answers_429_with_retry_after(http, factory, settings):
    (worker,) = await factory.workers(1)
    headers = {"Authorization": f"Bearer {factory.token(worker)}"}
    allowed = settings.worker_requests_per_min
    sem = asyncio.Semaphore(50)

    async def call() -> tuple[int, str | None]:
        async with sem:
            r = await http.get("/v1/me/vouchers", headers=headers)
            return r.status_code, r.headers.get("retry-after")

    answers = await asyncio.gather(*(call() for _ in range(allowed + 5)))
    statuses = Counter(status for status, _ in answers)
    assert statuses == {200: allowed, 429: 5}, statuses
    waits = {int(w) for status, w in answers if status == 429}
    assert all(0 < w <= 60 for w in waits)
    # Another worker is not affected.
    (other,) = await factory.workers(1)
    mine = await http.get(
        "/v1/me/vouchers", headers={"Authorization": f"Bearer {factory.token(other)}"}
    )
    assert mine.status_code == 200


async def test_merchant_key_rate_limit_answers_429_with_retry_after(http, factory, settings):
    merchant, key = await factory.merchant()
    headers = {"Authorization": f"Bearer {key}"}
    allowed = settings.merchant_key_requests_per_min
    sem = asyncio.Semaphore(50)
    url = f"/v1/merchants/{merchant}/settlements?from=2026-01-01&to=2026-01-31"

    async def call() -> int:
        async with sem:
            return (await http.get(url, headers=headers)).status_code

    statuses = Counter(await asyncio.gather(*(call() for _ in range(allowed + 3))))
    assert statuses == {200: allowed, 429: 3}, statuses
    r = await http.get(url, headers=headers)
    assert r.status_code == 429 and 0 < int(r.headers["retry-after"]) <= 60
    assert r.json()["type"].endswith("/rate-limited")


async def test_claim_rate_is_counted_per_worker_and_campaign(http, factory, settings, db):
    """Claims count their rate inside the admission script (no extra round trip); only
    refusals count, so an admission leaves no counter behind."""
    campaign = await factory.campaign(quota=5)
    (worker,) = await factory.workers(1)
    url = f"/v1/campaigns/{campaign['id']}/claims"
    allowed = settings.worker_requests_per_min
    sem = asyncio.Semaphore(50)

    async def call(i: int) -> int:
        async with sem:
            r = await http.post(url, headers=factory.worker_headers(worker, f"tap-{i}"))
            return r.status_code

    statuses = Counter(await asyncio.gather(*(call(i) for i in range(allowed + 4))))
    assert statuses == {201: 1, 409: allowed, 429: 3}, statuses
    view = (await http.get(f"/v1/campaigns/{campaign['id']}", headers=factory.ops)).json()
    assert view["admitted"] == 1
