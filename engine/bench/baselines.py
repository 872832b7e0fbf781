"""The same-run comparisons for the claim benchmark, as ASGI apps served by uvicorn.

`ceiling`: only what a claim cannot avoid: parse the JSON body, one EVALSHA of the
engine's admission script, one acks=all produce. No token check, no campaign cache, no
metrics, plain Starlette routing.

`postgres_only`: what a team would build without Redis and the log: a conditional
UPDATE of the campaign's remaining stock and an INSERT of the claim in one transaction
per claim, behind the engine's HTTP framework (FastAPI), with the engine's token check
(the alternative has to know who claims as well).
"""

from __future__ import annotations

import json
import time
from contextlib import asynccontextmanager

import jwt
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.applications import Starlette
from starlette.routing import Route

from engine.adapters.kafka import EventProducer
from engine.adapters.postgres import named_queries
from engine.adapters.redis_store import AdmitRequest, RedisStore, connect
from engine.domain.admission import claim_id_for
from engine.domain.tokens import verify_worker_token
from engine.events import ClaimAdmitted
from engine.keyfiles import auth_key_of, event_keys_of
from engine.settings import Settings

CEILING_EVENT = "bench-ceiling"
CLAIM_PATH = "/v1/campaigns/{campaign_id}/claims"
_SOLD_OUT = {"type": "sold-out"}
_REFUSED = {-5: {"type": "limit-reached"}}
_STATUS = {-1: 404, -2: 403, -3: 403, -4: 410, -5: 409, -6: 409, -8: 403}


def postgres_only_queries() -> dict[str, str]:
    return named_queries("engine.bench", "postgres_only.sql")


class _SoldOut(Exception):
    pass


def _subject(request: Request) -> str:
    token = request.headers.get("authorization", "").partition(" ")[2]
    return jwt.decode(token, options={"verify_signature": False})["sub"]


def ceiling_app() -> Starlette:
    settings = Settings()
    state: dict = {}

    @asynccontextmanager
    async def lifespan(_app):
        state["store"] = RedisStore(
            connect(settings.redis_url.get_secret_value(), settings.redis_max_connections)
        )
        state["producer"] = producer = EventProducer(settings, event_keys_of(settings))
        await producer.start()
        yield
        await producer.stop()
        await state["store"].close()

    async def claim(request: Request) -> JSONResponse:
        body = await request.body()
        if body:
            json.loads(body)
        campaign_id = request.path_params["campaign_id"]
        worker = _subject(request)
        claim_id = claim_id_for(campaign_id, worker, request.headers.get("idempotency-key", ""))
        now_ms = int(time.time() * 1000)
        admission = AdmitRequest(campaign_id, claim_id, worker, "courier", now_ms, 300)
        result = await state["store"].admit(admission)
        if result[0] == 2:  # a repeat: the first answer, as the engine gives it
            return JSONResponse({"claim_id": claim_id, "status": "admitted"}, status_code=201)
        if result[0] != 1:
            return JSONResponse(_REFUSED.get(result[0], _SOLD_OUT), status_code=_STATUS[result[0]])
        event = ClaimAdmitted(
            claim_id=claim_id,
            campaign_id=campaign_id,
            campaign_number=int(result[5]),
            serial=int(result[2]),
            worker_id=worker,
            face_value_fen=300,
            valid_until=int(result[4]),
            admitted_at_ms=now_ms,
        )
        await state["producer"].publish(CEILING_EVENT, claim_id, event)
        return JSONResponse({"claim_id": claim_id, "status": "admitted"}, status_code=201)

    return Starlette(routes=[Route(CLAIM_PATH, claim, methods=["POST"])], lifespan=lifespan)


def postgres_only_app() -> FastAPI:
    settings = Settings()
    public_key = auth_key_of(settings).public_key()
    q = postgres_only_queries()
    state: dict = {}

    @asynccontextmanager
    async def lifespan(_app):
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
        who = verify_worker_token(public_key, token)
        key = request.headers.get("idempotency-key", "")
        async with state["pool"].acquire() as conn, conn.transaction():
            if await conn.fetchval(q["insert_claim"], campaign_id, who.worker_id, key) is None:
                first_key = await conn.fetchval(q["claim_key"], campaign_id, who.worker_id)
                if first_key != key:  # another claim by the same worker: over the limit
                    return JSONResponse({"type": "limit-reached"}, status_code=409)
                return JSONResponse(
                    {"claim_id": who.worker_id, "status": "admitted"}, status_code=201
                )
            if await conn.fetchval(q["take_one"], campaign_id) is None:
                # Rolling back drops the claim row inserted above.
                raise _SoldOut
        return JSONResponse({"claim_id": who.worker_id, "status": "admitted"}, status_code=201)

    @app.exception_handler(_SoldOut)
    async def sold_out(_request, _exc) -> JSONResponse:
        return JSONResponse(_SOLD_OUT, status_code=410)

    return app
