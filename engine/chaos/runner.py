"""`nuanxin chaos`: the engine on a stack of its own, clients that claim, redeem and
reverse, faults on a seeded schedule meanwhile, then every answer checked against the
books (in the spirit of Jepsen's nemesis and checker)."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from engine.adapters.postgres.base import named_queries
from engine.adapters.redis import Redis
from engine.chaos.checker import Books, Programme, Verdict, check, entry_id
from engine.chaos.clients import Answer, Clients, Plan
from engine.chaos.faults import Nemesis
from engine.chaos.schedule import Fault, schedule
from engine.cli.operations import run_reconcile
from engine.domain.tokens import mint_worker_token
from engine.keyfiles import worker_token_keys_of
from engine.settings import Settings
from engine.stack.engine_processes import EngineProcesses
from engine.stack.local import LocalStack

Log = Callable[[str], None]


@dataclass(frozen=True)
class Options:
    seconds: float
    seed: int
    redis_cluster: int
    state_dir: Path
    workers: int = 400


@dataclass
class Outcome:
    faults: list[tuple[Fault, str]]
    answers: list[Answer]
    verdict: Verdict


# The programmes the clients use: single-use coupons, and stored value used in parts.
# Each worker claims one of the two; the quotas are shares of the workers, so stock runs
# out towards the end of the run and some claims are refused as sold out.
PROGRAMMES = {
    "single": {"quota": 0.4, "face_value_fen": 300, "per_worker_limit": 1},
    "wallet": {"quota": 0.2, "face_value_fen": 8_000, "per_worker_limit": 1, "stored_value": True},
}


async def run(options: Options, log: Log) -> Outcome:
    cluster = options.redis_cluster > 0
    stack = LocalStack(options.state_dir, log, options.redis_cluster, 2 if cluster else 0)
    loop = asyncio.get_running_loop()
    env = await loop.run_in_executor(None, stack.up) | {
        "NUANXIN_TOPIC_PREFIX": f"chaos{uuid.uuid4().hex[:6]}",
        "NUANXIN_KAFKA_PRODUCE_TIMEOUT_S": "2",
        # Longer than a failover (node timeout and an election), as in the fault tests.
        "NUANXIN_UNSETTLED_AFTER_S": "15" if cluster else "6",
        "NUANXIN_REPAIR_INTERVAL_S": "1",
        "NUANXIN_WORKER_REQUESTS_PER_MIN": "100000",
    }
    settings = Settings.from_env(env)
    engine = EngineProcesses(options.state_dir / "logs", env={**os.environ, **env})
    try:
        engine.start_api(processes=2 if cluster else 1)
        for _ in range(2 if cluster else 1):
            engine.start_stream()
        plan, programmes, merchant_id = await _prepare(engine.base_url, settings, options)
        nemesis = Nemesis(stack, engine, options.seed)
        faults = schedule(options.seed, options.seconds, cluster)
        log(f"schedule (seed {options.seed}): {len(faults)} faults")
        for f in faults:
            log("  " + f.describe())
        clients = Clients(plan, options.seed)
        answers, survived = await asyncio.gather(clients.run(), _nemesis(nemesis, faults, log))
        books = await _settled(settings, answers, merchant_id, log)
        report = await run_reconcile(settings, False, lambda _: None)
        verdict = check(answers, books, programmes, merchant_id, report.differences)
        return Outcome(survived, answers, verdict)
    finally:
        engine.stop()
        stack.down()


async def _nemesis(nemesis: Nemesis, faults: list[Fault], log: Log) -> list[tuple[Fault, str]]:
    started, survived = time.monotonic(), []
    loop = asyncio.get_running_loop()
    for f in faults:
        await asyncio.sleep(max(0.0, started + f.at_s - time.monotonic()))
        what = await loop.run_in_executor(None, nemesis.break_, f)
        log(f"  {time.monotonic() - started:6.1f} s  {what}")
        await asyncio.sleep(f.down_s)
        await loop.run_in_executor(None, nemesis.heal, f)
        log(f"  {time.monotonic() - started:6.1f} s  healed")
        survived.append((f, what))
    return survived


async def _prepare(
    base_url: str, settings: Settings, options: Options
) -> tuple[Plan, dict[str, Programme], str]:
    ops = {"Authorization": f"Bearer {settings.ops_token.get_secret_value()}"}
    run_id = uuid.uuid4().hex[:6]
    merchant_id, workers = f"chaos-m-{run_id}", [f"cw-{run_id}-{i}" for i in range(options.workers)]
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        r = await http.post(
            "/v1/merchants", json={"id": merchant_id, "name": "混沌测试商户"}, headers=ops
        )
        r.raise_for_status()
        merchant_key = r.json()["api_key"]
        body = {"workers": [{"id": w, "category": "courier"} for w in workers]}
        (await http.post("/v1/workers/bulk", json=body, headers=ops)).raise_for_status()
        programmes, faces = {}, {}
        for name, share in PROGRAMMES.items():
            cid = f"chaos-{name}-{run_id}"
            shape = share | {"quota": max(1, int(float(share["quota"]) * options.workers))}
            r = await http.post(
                "/v1/campaigns", json=_campaign(cid, merchant_id, shape), headers=ops
            )
            r.raise_for_status()
            programmes[cid] = Programme(
                int(shape["quota"]), int(shape["per_worker_limit"]), int(shape["face_value_fen"])
            )
            faces[cid] = (int(shape["face_value_fen"]), bool(shape.get("stored_value")))
    keys, now = worker_token_keys_of(settings), int(time.time())
    tokens = {w: mint_worker_token(keys, w, now, 4 * 3600) for w in workers}
    return Plan(base_url, merchant_key, tokens, faces, options.seconds), programmes, merchant_id


def _campaign(cid: str, merchant_id: str, shape: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": cid,
        "name": f"混沌测试 {cid}",
        "claim_opens_at": "2026-01-01T00:00:00Z",
        "claim_closes_at": "2099-01-01T00:00:00Z",
        "valid_until": "2099-06-01T00:00:00Z",
        "eligible_categories": ["courier"],
        "merchants": [merchant_id],
        **shape,
    }


async def _settled(
    settings: Settings, answers: list[Answer], merchant_id: str, log: Log, wait_s: float = 180
) -> Books:
    """The books once every acknowledged decision is applied, or after `wait_s` (then the
    check says what is missing)."""
    claims = {a.body["claim_id"] for a in answers if a.kind == "claim" and a.status == 201}
    entries = {entry_id(a, merchant_id) for a in answers if a.kind != "claim" and a.status == 201}
    campaigns = sorted({a.campaign_id for a in answers})
    deadline = time.monotonic() + wait_s
    db = await asyncpg.connect(settings.database_url.get_secret_value())
    live = Redis.from_settings(settings, 4)
    try:
        while True:
            books = await _books(db, live, campaigns)
            applied = claims <= set(books.vouchers) and entries <= set(books.ledger)
            if applied or time.monotonic() > deadline:
                log(f"books: {len(books.vouchers)} vouchers, {len(books.ledger)} ledger rows")
                return books
            await asyncio.sleep(1.0)
    finally:
        await live.close()
        await db.close()


async def _books(db: asyncpg.Connection, live: Redis, campaigns: list[str]) -> Books:
    q = named_queries("engine.chaos", "books.sql")
    vouchers = {
        r["claim_id"]: (r["campaign_id"], r["serial"], r["worker_id"])
        for r in await db.fetch(q["vouchers"], campaigns)
    }
    ledger = {
        r["entry_id"]: (r["campaign_id"], r["serial"], r["amount_fen"])
        for r in await db.fetch(q["ledger"], campaigns)
    }
    balances = {}
    for cid, serial, _ in vouchers.values():
        state = await live.redemptions.voucher_state(cid, serial)
        balances[(cid, serial)] = -1 if state is None else state.balance_fen
    return Books(vouchers, ledger, balances)
