"""Fault tests break the services on purpose, so they get a stack of their own.

Every test leaves the stack and the engine running again, and ends with
`nuanxin reconcile`, which must find no difference between Redis, PostgreSQL and
the log.
"""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import httpx
import pytest

from engine.adapters.kafka import ensure_topics
from engine.adapters.redis import Redis
from engine.settings import Settings
from engine.stack.local import LocalStack
from tests.conftest import Shape
from tests.integration.conftest import Factory
from tests.integration.engine_procs import EngineUnderTest, database, running


@pytest.fixture(scope="package")
def fault_stack(tmp_path_factory: pytest.TempPathFactory, shape: Shape) -> Iterator[LocalStack]:
    # A cluster gets two replicas per master, and decisions wait for one: after the
    # failover test kills a master, its successor still has a replica to wait for.
    stack = LocalStack(
        tmp_path_factory.mktemp("fault-stack"),
        log=lambda *_: None,
        redis_cluster=shape.redis_cluster,
        redis_replicas=2 if shape.redis_cluster else 0,
    )
    stack.up()
    try:
        yield stack
    finally:
        stack.down()


@pytest.fixture(scope="package")
def fault_env(fault_stack: LocalStack, shape: Shape) -> dict[str, str]:
    lines = fault_stack.env_path.read_text().splitlines()
    env = dict(line.split("=", 1) for line in lines if "=" in line)
    env |= {
        "NUANXIN_TOPIC_PREFIX": f"f{uuid.uuid4().hex[:8]}",
        "NUANXIN_REDIS_CHECK_SLOTS": "1",  # refused where a Redis Cluster would refuse
        # Short delays so a test sees a repair within seconds; the order must hold:
        # produce timeout < unsettled delay.
        "NUANXIN_KAFKA_PRODUCE_TIMEOUT_S": "2",
        # A Redis Cluster failover takes 5-7 s here; a confirmation refused meanwhile is
        # sent again until the repair could release its record, so that must come later.
        "NUANXIN_UNSETTLED_AFTER_S": "15" if shape.redis_cluster else "4",
        "NUANXIN_REPAIR_INTERVAL_S": "1",
    }
    asyncio.run(ensure_topics(Settings.from_env(env)))
    return env


@pytest.fixture(scope="package")
def fault_settings(fault_env: dict[str, str]) -> Settings:
    return Settings.from_env(fault_env)


@pytest.fixture(scope="package")
def fault_engine(
    fault_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory, shape: Shape
) -> Iterator[EngineUnderTest]:
    logs = tmp_path_factory.mktemp("fault-logs")
    with running(fault_env, logs, shape, windows=False) as procs:
        yield procs


@pytest.fixture(scope="package")
async def fdb(fault_settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    async with database(fault_settings) as pool:
        yield pool


@pytest.fixture(scope="package")
async def fredis(fault_settings: Settings) -> AsyncIterator[Redis]:
    live = Redis.from_settings(fault_settings, 4)
    yield live
    await live.close()


class RetriesUnavailable(httpx.AsyncBaseTransport):
    """As the union's app does after a recovery: a 503 is sent again, the same request
    (same Idempotency-Key) after its Retry-After, `most` times at most: a 503 that
    outlasts them is the answer the test sees."""

    def __init__(self, inner: httpx.AsyncBaseTransport, most: int = 5) -> None:
        self.inner, self.most = inner, most

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        for _ in range(self.most):
            response = await self.inner.handle_async_request(request)
            if response.status_code != 503:
                return response
            await response.aread()
            await response.aclose()
            await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def client(engine: EngineUnderTest, retry_unavailable: bool = False) -> httpx.AsyncClient:
    """A client of its own per step: connections to a killed API must not be reused.
    `retry_unavailable`: answers 503 are retried (RetriesUnavailable)."""
    limits = httpx.Limits(max_connections=100, keepalive_expiry=1)
    transport: httpx.AsyncBaseTransport = httpx.AsyncHTTPTransport(limits=limits)
    if retry_unavailable:
        transport = RetriesUnavailable(transport)
    return httpx.AsyncClient(base_url=engine.base_url, transport=transport, timeout=30)


@pytest.fixture
async def fhttp(fault_engine: EngineUnderTest) -> AsyncIterator[httpx.AsyncClient]:
    async with client(fault_engine) as c:
        yield c


@pytest.fixture
def ffactory(fhttp: httpx.AsyncClient, fault_settings: Settings) -> Factory:
    return Factory(fhttp, fault_settings)


def pause(pid: int) -> None:
    os.kill(pid, signal.SIGSTOP)


def resume(pid: int) -> None:
    os.kill(pid, signal.SIGCONT)


def server_pid(stack: LocalStack, name: str) -> int:
    return next(s["pid"] for s in stack.status() if s["name"] == name)
