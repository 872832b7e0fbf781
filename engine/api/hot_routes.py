"""The claim and redemption routes without the framework's per-request machinery.

A claim burst is the engine's reason to be, and FastAPI's routing, dependency solving
and request/response wrappers are a large share of the API's CPU per claim
(docs/BENCHMARKS.md). This ASGI layer answers a well-formed claim itself (a campaign id
of the right shape, a bearer token, a valid Idempotency-Key, and no body or a body the
route's own model accepts), and a well-formed redemption (a merchant key, a valid
Idempotency-Key, a body `RedemptionIn` accepts). Anything else goes on to the FastAPI
route (still the one in the OpenAPI document), which gives its usual answers with the
same models, so the public contract is one (tests/integration/test_hot_routes.py).

It sits inside the request-id and body-limit middleware: the body is already bounded
and read whole, the request id set, the latency recorded under the route's template.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import TypeVar

import structlog
from pydantic import BaseModel
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from engine.api import hot_calls
from engine.api.auth import bearer_credential, require_merchant
from engine.api.middleware import replaying
from engine.api.models import MAX_TERMINAL_CHARS, NO_CHOICE, ClaimIn, RedemptionIn
from engine.api.problems import MEDIA_TYPE, engine_problem, exception_answer, send_json
from engine.api.services import Services
from engine.domain.admission import IDEMPOTENCY_KEY
from engine.domain.ids import CAMPAIGN_ID
from engine.errors import Overloaded
from engine.metrics import SHED

log = structlog.get_logger("engine.api")
_CLAIM_PATH = re.compile(r"^/v1/campaigns/([^/]+)/claims$")


@dataclass(frozen=True)
class _Route:
    """What the latency metric reads of a matched route: its template."""

    path: str


_CLAIM_ROUTE = _Route("/v1/campaigns/{campaign_id}/claims")
_REDEEM_ROUTE = _Route("/v1/redemptions")


class HotRoutes:
    """`max_in_flight`: claims and redemptions this process works on at once. Past it a
    request is shed with 503 and Retry-After before its body is read or anything decided:
    a waiting room, so what is accepted keeps its latency and nothing half-done is left."""

    def __init__(self, app: ASGIApp, max_in_flight: int) -> None:
        self.app, self.max_in_flight = app, max_in_flight
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        path = scope["path"]
        claim = _CLAIM_PATH.match(path)
        if claim is None and path != _REDEEM_ROUTE.path:
            return await self.app(scope, receive, send)
        route = _REDEEM_ROUTE if claim is None else _CLAIM_ROUTE
        if self.in_flight >= self.max_in_flight:
            scope["route"] = route
            SHED.labels(route.path).inc()
            status, doc, headers = engine_problem(Overloaded(), path, _request_id(scope))
            return await send_json(send, status, doc, MEDIA_TYPE, headers)
        self.in_flight += 1
        try:
            await self._route(scope, receive, send, claim)
        finally:
            self.in_flight -= 1

    async def _route(
        self, scope: Scope, receive: Receive, send: Send, claim: re.Match[str] | None
    ) -> None:
        message = await receive()
        body = message.get("body", b"") if message["type"] == "http.request" else b""
        if claim is not None and (asked := _well_formed(claim.group(1), scope["headers"], body)):
            scope["route"] = _CLAIM_ROUTE
            return await self._claim(scope, send, *asked)
        if claim is None and (redemption := _redemption(scope["headers"], body)):
            scope["route"] = _REDEEM_ROUTE
            return await self._redeem(scope, send, *redemption)
        await self.app(scope, replaying(message, receive), send)

    async def _claim(
        self, scope: Scope, send: Send, campaign_id: str, token: str, key: str, asked: ClaimIn
    ) -> None:
        services: Services = scope["app"].state.services
        request_id = _request_id(scope)
        try:
            who = services.tokens.verify(token, time.time())
            doc = await hot_calls.claim(services, campaign_id, who, key, request_id or "", asked)
        except Exception as exc:  # noqa: BLE001 - answered by the one mapping
            return await _failed(scope, send, exc, request_id)
        await send_json(send, 201, doc, "application/json", None)

    async def _redeem(
        self,
        scope: Scope,
        send: Send,
        asked: RedemptionIn,
        key: str,
        terminal: str | None,
    ) -> None:
        services: Services = scope["app"].state.services
        request_id = _request_id(scope)
        try:
            who = await require_merchant(Request(scope))
            doc = await hot_calls.redeem(services, who, asked, key, request_id or "", terminal)
        except Exception as exc:  # noqa: BLE001 - answered by the one mapping
            return await _failed(scope, send, exc, request_id)
        await send_json(send, 201, doc, "application/json", None)


def _request_id(scope: Scope) -> str | None:
    found: str | None = scope.get("state", {}).get("request_id")
    return found


async def _failed(scope: Scope, send: Send, exc: Exception, request_id: str | None) -> None:
    status, doc, headers = exception_answer(exc, scope["path"], request_id)
    await send_json(send, status, doc, MEDIA_TYPE, headers)


def _redemption(
    headers: list[tuple[bytes, bytes]], body: bytes
) -> tuple[RedemptionIn, str, str | None] | None:
    """(body, Idempotency-Key, terminal) of a redemption the fast path may answer."""
    found = dict(headers)
    key = found.get(b"idempotency-key", b"").decode("latin-1")
    terminal = found.get(b"x-terminal-id")
    if not IDEMPOTENCY_KEY.match(key) or (
        terminal is not None and len(terminal) > MAX_TERMINAL_CHARS
    ):
        return None
    asked = _valid(RedemptionIn, body, found.get(b"content-type", b""))
    if asked is None:
        return None
    return asked, key, None if terminal is None else terminal.decode("latin-1")


Body = TypeVar("Body", bound=BaseModel)


def _valid(model: type[Body], body: bytes, content_type: bytes) -> Body | None:
    """The body as the framework's route would read it (the same model, so the same strict
    types); None for anything it would refuse, which it then answers itself."""
    if not body or not content_type.startswith(b"application/json"):
        return None
    try:
        return model.model_validate(json.loads(body))
    except (ValueError, RecursionError):  # ValidationError and JSON errors are ValueErrors
        return None


def _well_formed(
    campaign_id: str, headers: list[tuple[bytes, bytes]], body: bytes
) -> tuple[str, str, str, ClaimIn] | None:
    """(campaign id, token, Idempotency-Key, body) of a claim the fast path may answer;
    None sends the request on to the framework's route."""
    if not CAMPAIGN_ID.match(campaign_id):
        return None
    found = dict(headers)
    token = bearer_credential(found.get(b"authorization", b"").decode("latin-1"))
    key = found.get(b"idempotency-key", b"").decode("latin-1")
    if token is None or not IDEMPOTENCY_KEY.match(key):
        return None
    if not body:
        return campaign_id, token, key, NO_CHOICE
    asked = _valid(ClaimIn, body, found.get(b"content-type", b""))
    if asked is None:
        return None
    return campaign_id, token, key, asked
