"""Who is calling: operations staff (the settings token or a named, revocable token), a
worker (an HMAC bearer token, docs/TOKENS.md) or a merchant (API key, merchant-wide or
for one store)."""

from __future__ import annotations

import hmac
import time
from collections.abc import Awaitable, Callable

from fastapi import Request
from starlette.types import Scope

from engine.api.services import Services
from engine.domain.api_keys import MerchantIdentity
from engine.domain.roles import Role, Staff
from engine.domain.tokens import WorkerIdentity
from engine.errors import Forbidden, Unauthorized
from engine.usecases.merchants import MERCHANT_KEY_PREFIX
from engine.usecases.operators import OPS_TOKEN_PREFIX

MAX_CREDENTIAL_CHARS = 4096
# The actor of the token from the settings (stack.env, a secret store): the one that
# names the first people, and the way back in when every named token is revoked. Spelt
# so that no named credential can act as it (a name has no parentheses or spaces).
BOOTSTRAP = Staff("(settings token)")
BOOTSTRAP_ACTOR = BOOTSTRAP.actor


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
    await _require_staff(request, ())


def require_duty(*roles: Role) -> Callable[[Request], Awaitable[None]]:
    """Operations, or staff holding one of `roles` (a payout duty)."""

    async def check(request: Request) -> None:
        await _require_staff(request, roles)

    return check


async def _require_staff(request: Request, roles: tuple[Role, ...]) -> None:
    known: Staff | None = getattr(request.state, "staff", None)
    staff = known or await _staff(request, _bearer(request))
    if staff is None or staff.role is Role.PAYER:
        raise Unauthorized("Operations credentials required")
    if not staff.may(*roles):
        raise Forbidden(f"A {staff.role.value} credential may not do this")
    request.state.staff, request.state.actor = staff, staff.actor


async def _staff(request: Request, given: str) -> Staff | None:
    """Who the credential belongs to (None: no one); a wrong named token counts as a guess."""
    s = services(request)
    expected = s.settings.ops_token.get_secret_value()
    if expected and hmac.compare_digest(given.encode(), expected.encode()):
        return BOOTSTRAP
    if not given.startswith(OPS_TOKEN_PREFIX):
        return None  # refused without a look-up, so not counted as a guess
    s.credential_guard.check(_address(request))
    staff = await s.operators.staff_of(given)
    if staff is None:
        await s.credential_guard.failed(_address(request))
    return staff


async def require_ops_or_path_payer(request: Request) -> None:
    """Operations, or a payer credential of the payer the path names (its statements)."""
    staff = await _staff(request, _bearer(request))
    if staff is None:
        raise Unauthorized("Operations or payer credentials required")
    if not staff.reads_payer(request.path_params["payer_id"]):
        raise Forbidden("A payer may read only its own statements")
    request.state.staff, request.state.actor = staff, staff.actor


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
    staff = await _staff(request, _bearer(request))
    if staff is not None and staff.role is Role.OPS:
        request.state.staff, request.state.actor = staff, staff.actor
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
