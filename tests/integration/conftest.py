"""Integration fixtures: the project's own local stack, the API and the stream worker.

Isolation: a fresh state folder (so a fresh database) per session, topic names
unique to the run, and campaign ids unique to each test (every Redis key carries
its campaign's hash tag).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from engine.adapters.kafka import ensure_topics
from engine.adapters.redis import Redis
from engine.domain.audit import Actor
from engine.domain.tokens import WorkerIdentity, mint_worker_token
from engine.keyfiles import load_keyring, load_worker_token_keys
from engine.settings import Settings
from engine.stack.local import LocalStack
from tests.conftest import Shape
from tests.integration.engine_procs import EngineUnderTest, database, running

RECEIVER_HOST = "127.0.0.77"

# Who acts when a test calls a use case directly (the audit log names it).
TEST_ACTOR = Actor("ops:test")


async def registered(services: Any, n: int = 1, category: str = "courier") -> list[WorkerIdentity]:
    """New workers on record (a claim reads the profile, never the token), for tests that
    call the use cases directly."""
    ids = [f"w-{uuid.uuid4().hex[:10]}" for _ in range(n)]
    await services.workers.register_many([(i, {"category": category}) for i in ids])
    return [WorkerIdentity(i) for i in ids]


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


async def applied_until_now(live: Redis, settings: Settings, event_name: str) -> None:
    """Every event of the topic appended before this call is applied: each partition's
    consumer has passed a log fence placed after it (engine/usecases/log_watch.py). A
    barrier to wait on instead of a pause: whatever would follow has landed by then."""
    now_ms = int(time.time() * 1000)
    partitions = list(range(settings.topic_partitions))

    async def passed() -> bool:
        return await live.log_marks.watermark(event_name, partitions) >= now_ms

    await wait_for(passed, timeout_s=120)


@pytest.fixture(scope="session")
async def http(engine: EngineUnderTest) -> AsyncIterator[httpx.AsyncClient]:
    # Idle connections are dropped well before the server's keep-alive timeout, so a request
    # never goes out on a connection the server is closing at that moment.
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200, keepalive_expiry=2)
    async with httpx.AsyncClient(base_url=engine.base_url, limits=limits, timeout=30) as client:
        yield client


@dataclass(repr=False)
class Factory:
    """Builds campaigns, merchants and workers through the ops API."""

    http: httpx.AsyncClient
    settings: Settings
    ops: dict[str, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.ops = {"Authorization": f"Bearer {self.settings.ops_token.get_secret_value()}"}
        self.token_keys = load_worker_token_keys(self.settings.worker_token_keys_file)
        self.keyring = load_keyring(self.settings.signing_keys_file)

    @staticmethod
    def unique(prefix: str) -> str:
        return f"{prefix}-{uuid.uuid4().hex[:10]}"

    async def merchant(self) -> tuple[str, str]:
        merchant_id = self.unique("m")
        r = await self.http.post(
            "/v1/merchants", json={"id": merchant_id, "name": "Shop"}, headers=self.ops
        )
        assert r.status_code == 201, r.text
        return merchant_id, r.json()["api_key"]

    def campaign_body(self, **overrides: object) -> dict:
        now = datetime.now(UTC)
        body = {
            "id": self.unique("c"),
            "name": "Test campaign",
            "quota": 10,
            "face_value_fen": 300,
            "per_worker_limit": 1,
            "claim_opens_at": (now - timedelta(hours=1)).isoformat(),
            "claim_closes_at": (now + timedelta(days=1)).isoformat(),
            "valid_until": (now + timedelta(days=30)).isoformat(),
            "eligible_categories": ["delivery_rider", "courier"],
            "merchants": [],
        }
        body.update(overrides)
        return body

    async def campaign(self, **overrides: object) -> dict:
        r = await self.http.post(
            "/v1/campaigns", json=self.campaign_body(**overrides), headers=self.ops
        )
        assert r.status_code == 201, r.text
        return r.json()

    async def cap_group(self, max_fen: int, period: str = "month") -> str:
        group = self.unique("cap")
        r = await self.http.post(
            "/v1/cap-groups",
            json={"id": group, "period": period, "max_fen": max_fen},
            headers=self.ops,
        )
        assert r.status_code == 201, r.text
        return group

    async def workers(self, n: int, category: str = "courier") -> list[str]:
        ids = [self.unique("w") for _ in range(n)]
        for start in range(0, n, 5000):
            chunk = [{"id": i, "category": category} for i in ids[start : start + 5000]]
            r = await self.http.post("/v1/workers/bulk", json={"workers": chunk}, headers=self.ops)
            assert r.status_code == 200, r.text
        return ids

    def token(self, worker_id: str) -> str:
        """Minted with the shared auth key, as the union's app does."""
        return mint_worker_token(self.token_keys, worker_id, int(time.time()), 3600)

    def worker_headers(self, worker_id: str, key: str) -> dict:
        return {
            "Authorization": f"Bearer {self.token(worker_id)}",
            "Idempotency-Key": key,
        }


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


class ManualClock:
    """A clock the test moves by hand; `start` is where it began."""

    def __init__(self, start: datetime) -> None:
        self.start = self.moment = start

    def now(self) -> datetime:
        return self.moment


def quiet_noon() -> datetime:
    """Tomorrow, 12:00 in Asia/Shanghai (04:00 UTC): far from a day's, week's or month's
    turn there, and in the future, so the stream worker's timers (repair, expiry), which
    run on the real clock, never act on what a test admits at these times."""
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, 4, tzinfo=UTC)


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


# A body no JSON parser should follow all the way down.
NESTED = b"[" * 3000


async def store_key(http, factory, merchant_id: str, store_id: str) -> str:
    """A new store of the merchant, and a key for it alone."""
    body = {"id": store_id, "name": store_id}
    r = await http.post(f"/v1/merchants/{merchant_id}/stores", json=body, headers=factory.ops)
    assert r.status_code == 201, r.text
    body = {"store_id": store_id}
    r = await http.post(f"/v1/merchants/{merchant_id}/keys", json=body, headers=factory.ops)
    assert r.status_code == 201, r.text
    return r.json()["api_key"]


async def balance(http, api_key: str, code: str) -> int:
    """What is left on a voucher, as its merchant's verification says."""
    r = await http.post(
        "/v1/codes/verify", json={"code": code}, headers={"Authorization": f"Bearer {api_key}"}
    )
    assert r.status_code == 200, r.text
    return int(r.json()["balance_fen"])


@pytest.fixture
async def clocked(settings):
    """The use cases in-process against the real services, on a clock the test controls."""
    from engine.api.services import Services

    clock = ManualClock(quiet_noon())
    services = await Services.start(settings, clock=clock)
    yield services, clock
    await services.stop()


async def redeemable_code(http, factory, worker_id: str, claim_id: str, timeout_s=60.0) -> str:
    """Wait until the claim says issued, and return its code.

    The issuer writes PostgreSQL first and activates the voucher in Redis after; the
    claim answers "issued" only once it is active, so the code can be redeemed from then
    on. Polling this instead of PostgreSQL (or sleeping) is what keeps tests exact on a
    slow machine.
    """
    headers = {"Authorization": f"Bearer {factory.token(worker_id)}"}

    async def issued():
        r = await http.get(f"/v1/claims/{claim_id}", headers=headers)
        return r.json()["voucher"]["code"] if r.status_code == 200 and r.json()["voucher"] else None

    return await wait_for(issued, timeout_s)


async def sleep_until(moment: datetime) -> None:
    """Let real time pass a deadline a test set (not a way to wait for the engine)."""
    await asyncio.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()) + 0.1)


async def wait_for(check, timeout_s: float = 60.0, interval_s: float = 0.2):
    """Poll an async check until it returns a truthy value; fail with the last value."""
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval_s)
    raise AssertionError(f"condition not met within {timeout_s}s (last value {last!r})")
