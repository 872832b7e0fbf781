"""Fault tests break the services on purpose, so they get a stack of their own.

Every test leaves the stack and the engine running again, and ends with
`nuanxin reconcile`, which must find no difference between Redis, PostgreSQL and
the log.
"""

from __future__ import annotations

import asyncio
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
from tests.helpers.factory import Factory
from tests.helpers.faults import client
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


@pytest.fixture
async def fhttp(fault_engine: EngineUnderTest) -> AsyncIterator[httpx.AsyncClient]:
    async with client(fault_engine) as c:
        yield c


@pytest.fixture
def ffactory(fhttp: httpx.AsyncClient, fault_settings: Settings) -> Factory:
    return Factory(fhttp, fault_settings)
