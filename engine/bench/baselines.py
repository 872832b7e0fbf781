"""The same-run comparisons for the benchmarks, as ASGI apps served by uvicorn.

`ceiling`: only what a claim cannot avoid: parse the JSON body, one EVALSHA of the
engine's admission script, one acks=all produce. No token check, no campaign cache, no
metrics, plain Starlette routing. `redemption_ceiling`: the same for a redemption: parse
the body, read the code (its digest, which the script compares with the issued code's),
one EVALSHA of the engine's redemption script, one acks=all produce; the merchant and the
campaign are the bench's (no key check, no campaign lookup, no key binding).

`postgres_only`: what a team would build without Redis and the log: a conditional
UPDATE of the campaign's remaining stock and an INSERT of the claim in one transaction
per claim, behind the engine's HTTP framework (FastAPI), with the engine's token check
(the alternative has to know who claims as well). `postgres_16`: the strongest such
design, the stock split over 16 rows and taken with FOR UPDATE SKIP LOCKED.
"""

from __future__ import annotations

import base64
import json
import os
import random
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.applications import Starlette
from starlette.routing import Route

from engine.adapters.kafka import EventProducer
from engine.adapters.postgres.base import named_queries
from engine.adapters.redis import Redis
from engine.api.problems import status_of
from engine.domain.admission import REPEAT, AdmitRequest, claim_id_for, redemption_id_for
from engine.domain.codes import read_code
from engine.domain.redemption import RedeemRequest
from engine.domain.tokens import verify_worker_token
from engine.errors import EngineError
from engine.events import ClaimAdmitted, VoucherRedeemed
from engine.keyfiles import event_keys_of, worker_token_keys_of
from engine.settings import Settings

CEILING_EVENT = "bench-ceiling"
REDEMPTION_CEILING, REDEMPTION_CEILING_EVENT = "redemption ceiling", "bench-ceiling-redeemed"
# Whose redemptions the redemption ceiling makes, in which campaign: the bench's own.
BENCH_MERCHANT_ENV, BENCH_CAMPAIGN_ENV = "NUANXIN_BENCH_MERCHANT", "NUANXIN_BENCH_CAMPAIGN"
POSTGRES_16 = "postgres-16-rows"
CLAIM_PATH = "/v1/campaigns/{campaign_id}/claims"
_SOLD_OUT = {"type": "sold-out"}


@dataclass(slots=True, kw_only=True)
class CeilingEvent(ClaimAdmitted):
    """A claim event on the ceiling's own topic, so no stream worker issues it."""

    name: ClassVar[str] = CEILING_EVENT


@dataclass(slots=True, kw_only=True)
class RedemptionCeilingEvent(VoucherRedeemed):
    """A redemption event on the ceiling's own topic, so no ledger agent records it."""

    name: ClassVar[str] = REDEMPTION_CEILING_EVENT


def postgres_only_queries() -> dict[str, str]:
    return named_queries("engine.bench", "postgres_only.sql")


class _SoldOut(Exception):
    pass


def _subject(request: Request) -> str:
    token = request.headers.get("authorization", "").partition(" ")[2]
    # The ceiling checks no token (that is a claim's own work); it only reads who claims.
    payload = token.split(".")[2]
    return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"])


def _redis_and_producer(
    state: dict[str, Any],
) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """A ceiling's lifespan: the engine's Redis adapter and producer, in `state`."""
    settings = Settings()

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        state["redis"] = Redis.from_settings(settings)
        state["producer"] = producer = EventProducer(settings, event_keys_of(settings))
        await producer.start()
        yield
        await producer.stop()
        await state["redis"].close()

    return lifespan


def ceiling_app() -> Starlette:
    state: dict[str, Any] = {}
    lifespan = _redis_and_producer(state)

    async def claim(request: Request) -> JSONResponse:
        body = await request.body()
        if body:
            json.loads(body)
        campaign_id = request.path_params["campaign_id"]
        worker = _subject(request)
        claim_id = claim_id_for(campaign_id, worker, request.headers.get("idempotency-key", ""))
        now_ms = int(time.time() * 1000)
        admission = AdmitRequest(campaign_id, claim_id, worker, "courier", now_ms, 300)
        try:
            a = await state["redis"].admissions.admit(admission)
        except EngineError as exc:
            return JSONResponse({"type": exc.slug}, status_code=status_of(exc))
        if a.status == REPEAT:  # a repeat: the first answer, as the engine gives it
            return JSONResponse({"claim_id": claim_id, "status": "admitted"}, status_code=201)
        event = CeilingEvent(
            claim_id=claim_id,
            campaign_id=campaign_id,
            campaign_number=a.campaign_number,
            serial=a.serial,
            worker_id=worker,
            face_value_fen=300,
            valid_until=a.valid_until,
            admitted_at_ms=now_ms,
        )
        await state["producer"].publish(event, key=claim_id)
        return JSONResponse({"claim_id": claim_id, "status": "admitted"}, status_code=201)

    return Starlette(routes=[Route(CLAIM_PATH, claim, methods=["POST"])], lifespan=lifespan)


def redemption_ceiling_app() -> Starlette:
    merchant, campaign_id = os.environ[BENCH_MERCHANT_ENV], os.environ[BENCH_CAMPAIGN_ENV]
    state: dict[str, Any] = {}
    lifespan = _redis_and_producer(state)

    async def redeem(request: Request) -> JSONResponse:
        code = json.loads(await request.body())["code"]
        payload, digest = read_code(code)
        rid = redemption_id_for(campaign_id, merchant, request.headers.get("idempotency-key", ""))
        at_ms = int(time.time() * 1000)
        asked = RedeemRequest(campaign_id, payload.serial, merchant, rid, at_ms, code_digest=digest)
        try:
            done = await state["redis"].redemptions.redeem(asked)
        except EngineError as exc:
            return JSONResponse({"type": exc.slug}, status_code=status_of(exc))
        answer = {"redemption_id": rid, "amount_fen": done.amount_fen}
        if done.is_new:
            event = RedemptionCeilingEvent(
                redemption_id=rid,
                campaign_id=campaign_id,
                serial=payload.serial,
                merchant_id=merchant,
                face_value_fen=done.face_value_fen,
                redeemed_at_ms=done.at_ms,
                amount_fen=done.amount_fen,
                balance_fen=done.balance_fen,
            )
            await state["producer"].publish(event, key=merchant)
        return JSONResponse(answer, status_code=201)

    routes = [Route("/v1/redemptions", redeem, methods=["POST"])]
    return Starlette(routes=routes, lifespan=lifespan)


def postgres_only_app() -> FastAPI:
    """The stock in one campaign row."""

    async def take(conn: Any, queue: dict[str, str], campaign_id: str) -> bool:
        return await conn.fetchval(queue["take_one"], campaign_id) is not None

    return _postgres_app(take)


def postgres_16_app() -> FastAPI:
    """The stock over 16 rows, taken with FOR UPDATE SKIP LOCKED (postgres_only.sql)."""

    async def take(conn: Any, queue: dict[str, str], campaign_id: str) -> bool:
        while True:
            start = random.randrange(16)
            if await conn.fetchval(queue["take_one_skip_locked"], campaign_id, start) is not None:
                return True
            if await conn.fetchval(queue["take_one_waiting"], campaign_id) is not None:
                return True
            # The row waited for emptied meanwhile: sold out only if nothing is left anywhere.
            if not await conn.fetchval(queue["stock_left_16"], campaign_id):
                return False

    return _postgres_app(take)


def _postgres_app(take: Any) -> FastAPI:
    settings = Settings()
    token_keys = worker_token_keys_of(settings)
    q = postgres_only_queries()
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        import asyncpg

        state["pool"] = await asyncpg.create_pool(
            settings.database_url.get_secret_value(), min_size=4, max_size=16
        )
        yield
        await state["pool"].close()

    app = FastAPI(lifespan=lifespan)

    @app.post(CLAIM_PATH, status_code=201)
    async def claim(request: Request, campaign_id: str) -> JSONResponse:
        body = await request.body()
        if body:
            json.loads(body)
        token = request.headers.get("authorization", "").partition(" ")[2]
        who = verify_worker_token(token_keys, token, time.time())
        key = request.headers.get("idempotency-key", "")
        async with state["pool"].acquire() as conn, conn.transaction():
            if await conn.fetchval(q["insert_claim"], campaign_id, who.worker_id, key) is None:
                first_key = await conn.fetchval(q["claim_key"], campaign_id, who.worker_id)
                if first_key != key:  # another claim by the same worker: over the limit
                    return JSONResponse({"type": "limit-reached"}, status_code=409)
                return JSONResponse(
                    {"claim_id": who.worker_id, "status": "admitted"}, status_code=201
                )
            if not await take(conn, q, campaign_id):
                # Rolling back drops the claim row inserted above.
                raise _SoldOut
        return JSONResponse({"claim_id": who.worker_id, "status": "admitted"}, status_code=201)

    @app.exception_handler(_SoldOut)
    async def sold_out(_request: Request, _exc: Exception) -> JSONResponse:
        return JSONResponse(_SOLD_OUT, status_code=410)

    return app
