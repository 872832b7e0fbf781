"""One Redis client per process, and the Lua scripts bound to it once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

import redis.asyncio as redis
from redis.asyncio.client import Pipeline
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError

from engine.metrics import REDIS_SCRIPT_DURATION

# What a script takes as an argument (redis-py encodes each).
Arg = str | int | float | bytes
SCRIPT_NAMES = (
    "admit",
    "release_claim",
    "confirm",
    "take",
    "activate",
    "redeem",
    "release_redemption",
    "init_campaign",
    "expire",
    "cap_reserve",
    "cap_release",
    "reverse",
    "release_reversal",
    "throttle",
    "revoke",
)


def connect(url: str, max_connections: int) -> redis.Redis:
    # BlockingConnectionPool waits for a free connection under a burst instead of raising.
    # A pooled connection that died with a Redis restart fails when used; the command was
    # not sent, so it is retried on a fresh connection (only connection errors: a timeout
    # may have run the command).
    pool = redis.BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=5,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 3),
        retry_on_error=[RedisConnectionError],
    )
    return redis.Redis(connection_pool=pool)


class Scripts:
    """Every script read from the package once and run by EVALSHA (reloaded on NOSCRIPT)."""

    def __init__(self, client: redis.Redis) -> None:
        folder = resources.files("engine.adapters.redis") / "lua"
        self._scripts: dict[str, AsyncScript] = {
            name: client.register_script((folder / f"{name}.lua").read_text())
            for name in SCRIPT_NAMES
        }

    async def run(self, name: str, keys: Sequence[str], args: Sequence[Arg] = ()) -> Any:
        with REDIS_SCRIPT_DURATION.labels(name).time():
            return await self._scripts[name](keys=list(keys), args=list(args))

    async def queue(
        self, pipe: Pipeline, name: str, keys: Sequence[str], args: Sequence[Arg] = ()
    ) -> None:
        """Add one run of the script to a pipeline (its reply comes with the pipeline's)."""
        await self._scripts[name](keys=list(keys), args=list(args), client=pipe)


async def timed(pipe: Pipeline) -> list[Any]:
    with REDIS_SCRIPT_DURATION.labels("pipeline").time():
        return await pipe.execute()


def fields(mapping: Mapping[str, str] | Mapping[str, int] | Mapping[str, str | int]) -> Any:
    """A hash's fields as redis-py's HSET takes them (its stubs want a wider key type)."""
    return dict(mapping)


def text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def texts(raw: dict[Any, Any]) -> dict[str, str]:
    return {text(k): text(v) for k, v in raw.items()}
