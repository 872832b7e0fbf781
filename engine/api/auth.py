"""Who is calling: ops (static token), a worker (EdDSA JWT) or a merchant (API key)."""

from __future__ import annotations

import hmac
import time

from fastapi import Request

from engine.api.services import Services
from engine.domain.tokens import WorkerIdentity
from engine.errors import Forbidden, RateLimited, Unauthorized
from engine.usecases.redemptions import MerchantIdentity

_MAX_CREDENTIAL_CHARS = 4096


def services(request: Request) -> Services:
    return request.app.state.services


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, credential = header.partition(" ")
    if scheme.lower() != "bearer" or not credential or len(credential) > _MAX_CREDENTIAL_CHARS:
        raise Unauthorized("A bearer credential is required")
    return credential.strip()


# Dependencies are async on purpose: FastAPI runs plain functions in a thread pool,
# and that hop costs more than the checks themselves.
async def require_ops(request: Request) -> None:
    expected = services(request).settings.ops_token.get_secret_value()
    given = _bearer(request)
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Unauthorized("Operations credentials required")


async def require_worker(request: Request) -> WorkerIdentity:
    s = services(request)
    who = await verified_worker(request)
    await _within_rate(s, f"worker:{who.worker_id}", s.settings.worker_requests_per_min)
    return who


async def verified_worker(request: Request) -> WorkerIdentity:
    """The worker, without the rate check: a claim counts its rate in the admission script
    (per worker and campaign), which saves the hottest route a round trip."""
    return services(request).worker_tokens.verify(_bearer(request), time.time())


async def require_merchant(request: Request) -> MerchantIdentity:
    """Looked up on every request, so a revoked key stops working at once."""
    row = await services(request).db.merchant_by_api_key(_bearer(request))
    if row is None:
        raise Unauthorized("Merchant API key required")
    request.state.actor = f"merchant:{row['merchant_id']}"
    s = services(request)
    await _within_rate(s, f"key:{row['key_id']}", s.settings.merchant_key_requests_per_min)
    return MerchantIdentity(row["merchant_id"], row["store_id"], row["key_id"])


async def require_ops_or_path_merchant(request: Request) -> None:
    """Operations, or the merchant the path names (its statements, its webhook)."""
    merchant_id = request.path_params["merchant_id"]
    expected = services(request).settings.ops_token.get_secret_value()
    given = _bearer(request)
    if expected and hmac.compare_digest(given.encode(), expected.encode()):
        return
    who = await require_merchant(request)
    if who.merchant_id != merchant_id:
        raise Forbidden("A merchant may touch only its own account")


async def _within_rate(s: Services, caller: str, per_min: int) -> None:
    wait = await s.store.rate(caller, 60, per_min)
    if wait:
        raise RateLimited(f"At most {per_min} requests a minute", retry_after_s=wait)
