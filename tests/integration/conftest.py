"""Integration fixtures: the project's own local stack, the API and the stream worker.

Isolation: a fresh state folder (so a fresh database) per session, topic names
unique to the run, and campaign ids unique to each test (every Redis key carries
its campaign's hash tag).
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
from tests.helpers.api import RECEIVER_HOST, redeemable_code
from tests.helpers.factory import Factory
from tests.helpers.inprocess import ManualClock, quiet_noon
from tests.integration.engine_procs import EngineUnderTest, database, running


@pytest.fixture(scope="session")
def stack_env(tmp_path_factory: pytest.TempPathFactory, shape: Shape) -> Iterator[dict[str, str]]:
    state = tmp_path_factory.mktemp("stack")
    stack = LocalStack(state, log=lambda *_: None, redis_cluster=shape.redis_cluster)
    env = stack.up()
    env = {
        **env,
        "NUANXIN_TOPIC_PREFIX": f"t{uuid.uuid4().hex[:8]}",
        # Every script run refused where a Redis Cluster would refuse it (CROSSSLOT).
        "NUANXIN_REDIS_CHECK_SLOTS": "1",
        "NUANXIN_EXPIRY_INTERVAL_S": "1",
        # The test receiver listens on plain http on loopback; retries come quickly.
        "NUANXIN_WEBHOOK_ALLOW_HTTP": "true",
        # Webhooks reach public addresses only; the test receiver's loopback address is
        # trusted by name, every other internal address stays refused.
        "NUANXIN_WEBHOOK_TRUSTED_NETWORKS": RECEIVER_HOST,
        "NUANXIN_WEBHOOK_BASE_DELAY_S": "0.5",
        # Tests hammer on purpose; the rate-limit tests read these and go past them.
        "NUANXIN_WORKER_REQUESTS_PER_MIN": "600",
        "NUANXIN_MERCHANT_KEY_REQUESTS_PER_MIN": "1500",
        "NUANXIN_BODY_CHUNK_TIMEOUT_S": "2",
        "NUANXIN_BODY_TOTAL_TIMEOUT_S": "5",
        # The access matrix and schemathesis present many wrong credentials from 127.0.0.1;
        # the throttle test goes past this from an address of its own.
        "NUANXIN_CREDENTIAL_FAILURES_PER_MIN": "1000",
    }
    asyncio.run(ensure_topics(Settings.from_env(env)))
    try:
        yield env
    finally:
        stack.down()


@pytest.fixture(scope="session")
def settings(stack_env: dict[str, str]) -> Settings:
    return Settings.from_env(stack_env)


@pytest.fixture(scope="session")
def engine(
    stack_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory, shape: Shape
) -> Iterator[EngineUnderTest]:
    with running(stack_env, tmp_path_factory.mktemp("logs"), shape=shape) as procs:
        yield procs


@pytest.fixture(scope="session")
async def db(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    async with database(settings) as pool:
        yield pool


@pytest.fixture(scope="session")
async def live(settings: Settings) -> AsyncIterator[Redis]:
    """The engine's Redis, through its own adapter, for what a test reads of it."""
    redis = Redis.from_settings(settings, 8)
    yield redis
    await redis.close()


@pytest.fixture(scope="session")
async def http(engine: EngineUnderTest) -> AsyncIterator[httpx.AsyncClient]:
    # Idle connections are dropped well before the server's keep-alive timeout, so a request
    # never goes out on a connection the server is closing at that moment.
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200, keepalive_expiry=2)
    async with httpx.AsyncClient(base_url=engine.base_url, limits=limits, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def factory(http: httpx.AsyncClient, settings: Settings) -> Factory:
    return Factory(http, settings)


@pytest.fixture(scope="session")
async def issuing(http, factory) -> None:
    """The stream worker has joined its group and issues: a voucher went all the way."""
    campaign = await factory.campaign(quota=1)
    (worker,) = await factory.workers(1)
    r = await http.post(
        f"/v1/campaigns/{campaign['id']}/claims", headers=factory.worker_headers(worker, "warm")
    )
    assert r.status_code == 201, r.text
    await redeemable_code(http, factory, worker, r.json()["claim_id"], timeout_s=120)


@pytest.fixture
async def paths(settings):
    """(fast, framework): in-process clients of the API with and without the thin layer that
    answers claims and redemptions (hot_routes.py), over one set of services."""
    from engine.api.app import create_app, served_app
    from engine.api.services import Services

    services = await Services.start(settings)
    app = create_app(settings)
    app.state.services = services
    framework = settings.model_copy(update={"hot_routes": False})
    clients = [
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=a, client=("127.0.0.5", 40000)), base_url="http://e"
        )
        for a in (served_app(app, settings), served_app(app, framework))
    ]
    yield clients
    for client in clients:
        await client.aclose()
    await services.stop()


@pytest.fixture
async def clocked(settings):
    """The use cases in-process against the real services, on a clock the test controls."""
    from engine.api.services import Services

    clock = ManualClock(quiet_noon())
    services = await Services.start(settings, clock=clock)
    yield services, clock
    await services.stop()
