"""Stopping is a promise too: SIGTERM to `nuanxin up` mid-burst stops every process it
started (the API first, then the stream workers, then the servers), none is left holding
a port, and every claim it acknowledged is issued after the next start, though the
local broker forgot every event it held.

One Redis in either shape of the suite: the local stack forms its Redis Cluster anew at
every `nuanxin up`, so a cluster's data would not outlive the stop this test makes."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import asyncpg
import httpx

from engine.domain.tokens import mint_worker_token
from engine.keyfiles import worker_token_keys_of
from engine.settings import Settings
from engine.stack.processes import alive, free_port
from tests.helpers.waiting import wait_for
from tests.integration.engine_procs import reconcile

WORKERS, STOP_AFTER = 1_200, 200


def _up(state: Path, port: int) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "engine.cli.main", "up", "--port", str(port)]
    argv += ["--state-dir", str(state)]
    log = open(state.parent / f"up-{port}.log", "ab")  # noqa: SIM115 - the child's
    # Only what the stack writes in its folder: no NUANXIN_* of this process's.
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUANXIN_")}
    return subprocess.Popen(
        argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env
    )


def _settings(state: Path) -> Settings:
    """The stack's settings, read from its folder without touching this process's
    environment."""
    return Settings.from_env(_env(state))


def _env(state: Path) -> dict[str, str]:
    lines = (state / "stack.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


async def _healthy(base_url: str) -> None:
    async def answers():
        try:
            async with httpx.AsyncClient(timeout=2) as c:
                return (await c.get(base_url + "/healthz")).status_code == 200
        except httpx.HTTPError:
            return False

    await wait_for(answers, timeout_s=120, interval_s=0.5)


def _servers(state: Path) -> list[tuple[str, int]]:
    """The servers the stack started, as its state records them while it runs."""
    recorded = json.loads((state / "stack.json").read_text())["servers"]
    return [(s["name"], s["pid"]) for s in recorded]


def _left_behind(state: Path, servers: list[tuple[str, int]]) -> list[str]:
    """Processes still running that belong to this stack: named by its folder (the
    engine's, the servers' data folders), or one of its servers."""
    found = subprocess.run(
        ["pgrep", "-af", str(state)], capture_output=True, text=True, check=False
    ).stdout.splitlines()
    return found + [f"{name} {pid}" for name, pid in servers if alive(pid)]


async def _stop(up: subprocess.Popen[bytes], state: Path) -> None:
    servers = _servers(state)
    up.send_signal(signal.SIGTERM)
    await asyncio.get_running_loop().run_in_executor(None, up.wait, 120)
    assert _left_behind(state, servers) == []


async def test_sigterm_stops_everything_and_loses_no_acknowledged_claim(tmp_path):
    state, port = tmp_path / "up", free_port()
    base_url = f"http://127.0.0.1:{port}"
    up = _up(state, port)
    await _healthy(base_url)
    servers = _servers(state)
    settings = _settings(state)
    ops = {"Authorization": f"Bearer {settings.ops_token.get_secret_value()}"}
    cid = "stop-burst"
    workers = [f"w-{i}" for i in range(WORKERS)]
    keys = worker_token_keys_of(settings)
    acknowledged: set[str] = set()
    stopping = asyncio.Event()

    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        body = {"workers": [{"id": w, "category": "courier"} for w in workers]}
        assert (await http.post("/v1/workers/bulk", json=body, headers=ops)).status_code == 200
        campaign = {
            "id": cid, "name": "停止测试", "quota": WORKERS, "face_value_fen": 300,
            "per_worker_limit": 1, "claim_opens_at": "2026-01-01T00:00:00Z",
            "claim_closes_at": "2099-01-01T00:00:00Z", "valid_until": "2099-06-01T00:00:00Z",
            "eligible_categories": ["courier"],
        }  # fmt: skip
        assert (await http.post("/v1/campaigns", json=campaign, headers=ops)).status_code == 201
        sem = asyncio.Semaphore(64)

        async def claim(worker: str) -> str:
            async with sem:
                if stopping.is_set():
                    return "not sent"
                token = mint_worker_token(keys, worker, int(time.time()), 3600)
                headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "k"}
                try:
                    r = await http.post(f"/v1/campaigns/{cid}/claims", headers=headers)
                except httpx.HTTPError:
                    return "no answer"
                if r.status_code == 201:
                    acknowledged.add(r.json()["claim_id"])
                    if len(acknowledged) == STOP_AFTER:
                        up.send_signal(signal.SIGTERM)  # mid-burst
                        stopping.set()
                return str(r.status_code)

        answers = Counter(await asyncio.gather(*(claim(w) for w in workers)))
    await asyncio.get_running_loop().run_in_executor(None, up.wait, 120)
    assert up.returncode is not None and _left_behind(state, servers) == [], answers
    assert len(acknowledged) >= STOP_AFTER

    up = _up(state, port)  # the same folder: Redis and PostgreSQL kept
    try:
        await _healthy(base_url)
        db = await asyncpg.connect(_settings(state).database_url.get_secret_value())
        try:

            async def all_issued():
                rows = await db.fetch("SELECT claim_id FROM vouchers WHERE campaign_id = $1", cid)
                issued = {r["claim_id"] for r in rows}
                return issued if acknowledged <= issued else None

            issued = await wait_for(all_issued, timeout_s=120)
        finally:
            await db.close()
        assert len(issued) == len(set(issued))
        done = await asyncio.get_running_loop().run_in_executor(None, reconcile, _env(state))
        assert done.returncode == 0, done.stdout + done.stderr
    finally:
        await _stop(up, state)
