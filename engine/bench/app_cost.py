"""The application's own CPU per claim, without an HTTP server: the ASGI app called
directly, in this process, against the running stack (`nuanxin stack up` first).

    python -m engine.bench.app_cost --state-dir .nuanxin-bench --claims 20000

Four figures, one after the other in one run: claims admitted, the same with the
Idempotency-Key not bound (the profile handed back from memory: what the binding's round
trip costs), claims refused as sold out by the admission script (the process's memory
of the sell-out turned off), and the same refusals answered from that memory. Each is this process's CPU time divided by the
claims, with 64 claims in flight. What a server (uvicorn's HTTP parsing and ASGI calls)
adds comes on top; `nuanxin bench` measures the whole.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from engine.api.app import create_app, served_app
from engine.bench.prepare import CATEGORY, campaign_body
from engine.cli.common import settings_for
from engine.domain.idempotency import KeyBinding
from engine.domain.profiles import WorkerProfile
from engine.domain.tokens import mint_worker_token
from engine.keyfiles import worker_token_keys_of
from engine.settings import Settings

IN_FLIGHT = 64


@asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[Any]:
    framework = create_app(settings)
    async with framework.router.lifespan_context(framework):
        yield framework, served_app(framework, settings)


async def _call(app: Any, path: str, headers: list[tuple[bytes, bytes]]) -> int:
    """One POST with no body through the whole ASGI stack; its status."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": None,
        "state": {},
    }
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def claims_cpu(
    app: Any, settings: Settings, campaign_id: str, count: int
) -> tuple[float, dict[int, int]]:
    keys = worker_token_keys_of(settings)
    now = int(time.time())
    workers = await _workers(app, settings, count)
    tokens = [mint_worker_token(keys, worker, now, 3600) for worker in workers]
    path = f"/v1/campaigns/{campaign_id}/claims"
    statuses: dict[int, int] = {}
    queue = iter(tokens)

    async def caller() -> None:
        for token in queue:
            headers = [
                (b"authorization", f"Bearer {token}".encode()),
                (b"idempotency-key", b"k"),
                (b"content-length", b"0"),
            ]
            status = await _call(app, path, headers)
            statuses[status] = statuses.get(status, 0) + 1

    started = time.process_time()
    await asyncio.gather(*(caller() for _ in range(IN_FLIGHT)))
    return (time.process_time() - started) / count * 1e6, statuses


class _Unbound:
    """A key binding that binds nothing: every worker a courier on record."""

    async def bind_worker(self, binding: KeyBinding) -> WorkerProfile | None:
        return WorkerProfile(binding.caller_id, {"category": CATEGORY})


async def _workers(app: Any, settings: Settings, count: int) -> list[str]:
    """New workers on record (a claim reads the profile), registered before the clock runs."""
    ids = [f"w-{uuid.uuid4().hex[:12]}" for _ in range(count)]
    ops = {"Authorization": f"Bearer {settings.ops_token.get_secret_value()}"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        for start in range(0, count, 10_000):
            chunk = [{"id": w, "category": CATEGORY} for w in ids[start : start + 10_000]]
            r = await client.post("/v1/workers/bulk", json={"workers": chunk}, headers=ops)
            r.raise_for_status()
    return ids


async def new_campaign(app: Any, settings: Settings, quota: int) -> str:
    campaign_id = f"cost-{uuid.uuid4().hex[:8]}"
    transport = httpx.ASGITransport(app=app)
    ops = {"Authorization": f"Bearer {settings.ops_token.get_secret_value()}"}
    body = campaign_body(campaign_id, quota)  # the same body each time: a safe retry
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        for _ in range(30):  # a stack just started answers 503 until its services are up
            r = await client.post("/v1/campaigns", json=body, headers=ops)
            if r.status_code != 503:
                break
            await asyncio.sleep(1)
        if r.status_code not in (200, 201):  # 200: the retry found it made
            raise RuntimeError(f"creating the campaign: {r.status_code} {r.text}")
    return campaign_id


async def main(state_dir: Path, count: int) -> None:
    settings = settings_for(state_dir)
    rows = []
    async with running_app(settings) as (framework, app):
        admitted = await new_campaign(app, settings, count)
        rows.append(("admitted", *await claims_cpu(app, settings, admitted, count)))
        # What binding the key (and reading the profile beside it) costs: the same claims
        # with the profile handed back from memory instead.
        claims = framework.state.services.claims
        bindings, claims.bindings = claims.bindings, _Unbound()
        unbound = await new_campaign(app, settings, count)
        rows.append(("admitted, key not bound", *await claims_cpu(app, settings, unbound, count)))
        claims.bindings = bindings
        gone = await new_campaign(app, settings, 1)
        await claims_cpu(app, settings, gone, 1)
        marks = framework.state.services.claims.marks
        life, marks.life_ms = marks.life_ms, 0
        marks.clear(gone)
        rows.append(("sold out, by the script", *await claims_cpu(app, settings, gone, count)))
        marks.life_ms = life
        rows.append(("sold out, from memory", *await claims_cpu(app, settings, gone, count)))
    for name, cpu_us, statuses in rows:
        print(f"{name:26} {cpu_us:7.1f} us CPU per claim   answers {statuses}")


def command_line(
    main: Callable[[Path, int], Coroutine[Any, Any, None]], doc: str, claims: int
) -> None:
    """Run an in-process bench tool's `main(state_dir, claims)` from its command line."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--state-dir", type=Path, default=Path(".nuanxin-bench"))
    parser.add_argument("--claims", type=int, default=claims)
    given = parser.parse_args()
    asyncio.run(main(given.state_dir, given.claims))


if __name__ == "__main__":
    command_line(main, __doc__, claims=20_000)
