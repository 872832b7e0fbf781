"""Who is calling: operations staff (the settings token or a named, revocable token), a
worker (an HMAC bearer token, docs/TOKENS.md) or a merchant (API key, merchant-wide or
for one store)."""

from __future__ import annotations

import hmac
import time

from fastapi import Request
from starlette.types import Scope

from engine.api.services import Services
from engine.domain.api_keys import MerchantIdentity
from engine.domain.tokens import WorkerIdentity
from engine.errors import Forbidden, Unauthorized
from engine.usecases.merchants import MERCHANT_KEY_PREFIX
from engine.usecases.operators import OPS_TOKEN_PREFIX

MAX_CREDENTIAL_CHARS = 4096
# The actor of the token from the settings (stack.env, a secret store): the one that
# names the first people, and the way back in when every named token is revoked. Spelt
# so that no named credential can act as it (a name has no parentheses or spaces).
BOOTSTRAP_ACTOR = "ops:(settings token)"


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def bearer_credential(header: str) -> str | None:
    """The credential of an Authorization header, if it is a bearer one of a sane length
    (both paths read it here)."""
    scheme, _, credential = header.partition(" ")
    if scheme.lower() != "bearer" or not credential or len(credential) > MAX_CREDENTIAL_CHARS:
        return None
    return credential.strip()


def _bearer(request: Request) -> str:
    credential = bearer_credential(request.headers.get("authorization", ""))
    if credential is None:
        raise Unauthorized("A bearer credential is required")
    return credential


def _address(request: Request) -> str:
    return request.client.host if request.client else "-"


# Dependencies are async on purpose: FastAPI runs plain functions in a thread pool,
# and that hop costs more than the checks themselves.
async def require_ops(request: Request) -> None:
    """The audit log names who acted: `ops:<name>` of a named token, never a header."""
    if getattr(request.state, "actor", "").startswith("ops:"):
        return  # already checked for this request (a bulk body, before it was read)
    actor = await _ops_actor(request, _bearer(request))
    if actor is None:
        raise Unauthorized("Operations credentials required")
    request.state.actor = actor


async def _ops_actor(request: Request, given: str) -> str | None:
    s = services(request)
    expected = s.settings.ops_token.get_secret_value()
    if expected and hmac.compare_digest(given.encode(), expected.encode()):
        return BOOTSTRAP_ACTOR
    if not given.startswith(OPS_TOKEN_PREFIX):
        return None  # refused without a look-up, so not counted as a guess
    s.credential_guard.check(_address(request))
    name = await s.operators.name_of(given)
    if name is None:
        await s.credential_guard.failed(_address(request))
        return None
    return f"ops:{name}"


async def require_worker(request: Request) -> WorkerIdentity:
    s = services(request)
    who = await verified_worker(request)
    await s.rates.count(f"worker:{who.worker_id}", s.settings.worker_requests_per_min)
    return who


async def verified_worker(request: Request) -> WorkerIdentity:
    """The worker, without the rate check: a claim counts its rate in the admission script
    (per worker and campaign), which saves the hottest route a round trip."""
    return services(request).tokens.verify(_bearer(request), time.time())


async def require_merchant(request: Request) -> MerchantIdentity:
    """Looked up on every request, so a revoked key stops working at once (once: a bulk
    body's check before it was read serves the route too)."""
    known: MerchantIdentity | None = getattr(request.state, "merchant", None)
    if known is not None:
        return known
    s = services(request)
    given = _bearer(request)
    if not given.startswith(MERCHANT_KEY_PREFIX):
        # A worker token or an ops token on a merchant route: refused without a look-up.
        raise Unauthorized("Merchant API key required")
    s.credential_guard.check(_address(request))
    identity = await s.merchant_keys.identify(given)
    if identity is None:
        await s.credential_guard.failed(_address(request))
        raise Unauthorized("Merchant API key required")
    request.state.actor = f"merchant:{identity.merchant_id}"
    request.state.merchant = identity
    return identity


async def require_ops_or_path_merchant(request: Request) -> None:
    """Operations, or a merchant-wide key of the merchant the path names (its statements,
    its webhook): a store key acts for its own store only."""
    merchant_id = request.path_params["merchant_id"]
    actor = await _ops_actor(request, _bearer(request))
    if actor is not None:
        request.state.actor = actor
        return
    who = await require_merchant(request)
    if who.merchant_id != merchant_id:
        raise Forbidden("A merchant may touch only its own account")
    if who.store_id is not None:
        raise Forbidden("A store key acts for its own store; this needs a merchant-wide key")


async def authenticate_bulk(scope: Scope) -> None:
    """Who may send a bulk body, checked before a byte of it is read: a merchant for its
    terminals' offline batches, operations for everything else."""
    request = Request(scope)
    if scope["path"] == "/v1/redemptions/batch":
        await require_merchant(request)
    else:
        await require_ops(request)
