"""One Redis client per process, and the Lua scripts bound to it once."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.commands.core import AsyncScript
from redis.crc import key_slot
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError

from engine.metrics import REDIS_SCRIPT_DURATION

# What a script takes as an argument (redis-py encodes each).
Arg = str | int | float | bytes
# One run of a script: its KEYS and its ARGV.
Run = tuple[Sequence[str], Sequence[Arg]]
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
    "merchant_key",
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


def one_slot(script: str, keys: Sequence[str]) -> None:
    """Raise what a Redis Cluster answers when a script's keys span slots."""
    if len({key_slot(k.encode()) for k in keys}) > 1:
        raise ResponseError(f"CROSSSLOT {script}: keys in request don't hash to the same slot")


class Scripts:
    """Every script read from the package once and run by EVALSHA (reloaded on NOSCRIPT).

    `check_slots`: refuse a run whose keys do not all hash to one slot, as a Redis
    Cluster would (CROSSSLOT). A single Redis accepts such a run, so the test stacks turn
    this on: the suite on one Redis then fails where a cluster would.
    """

    def __init__(self, client: redis.Redis, check_slots: bool = False) -> None:
        self.client, self.check_slots = client, check_slots
        folder = resources.files("engine.adapters.redis") / "lua"
        self._scripts: dict[str, AsyncScript] = {
            name: client.register_script((folder / f"{name}.lua").read_text())
            for name in SCRIPT_NAMES
        }

    def group_commit(self, name: str) -> GroupCommit:
        return GroupCommit(self, name)

    async def run(self, name: str, keys: Sequence[str], args: Sequence[Arg] = ()) -> Any:
        if self.check_slots:
            one_slot(name, keys)
        with REDIS_SCRIPT_DURATION.labels(name).time():
            return await self._scripts[name](keys=list(keys), args=list(args))

    def words(self, name: str, keys: Sequence[str], args: Sequence[Arg]) -> list[Arg]:
        """One run as EVALSHA takes it after the sha: numkeys, keys, args."""
        if self.check_slots:
            one_slot(name, keys)
        return [len(keys), *keys, *args]

    async def run_many(self, name: str, runs: Sequence[Run]) -> list[Any]:
        """Runs of one script in one round trip; their replies in order (raises the first
        error reply, after every run was made)."""
        with REDIS_SCRIPT_DURATION.labels(name).time():
            replies = await self.replies(name, [self.words(name, k, a) for k, a in runs])
        for reply in replies:
            if isinstance(reply, Exception):
                raise reply
        return replies

    async def replies(self, name: str, runs: Sequence[Sequence[Arg]]) -> list[Any]:
        """Each run's reply or error, in order: one pipeline of plain EVALSHAs (redis-py's
        script pipelines ask SCRIPT EXISTS first, a round trip more per batch). A run
        answered NOSCRIPT (Redis lost its script cache, so it did not run) is loaded and
        run again; each run is `words()` of its keys and args."""
        script = self._scripts[name]
        replies = await self._pipeline(script.sha, runs)
        missing = [i for i, r in enumerate(replies) if isinstance(r, NoScriptError)]
        if missing:
            script.sha = await self.client.script_load(script.script)
            again = await self._pipeline(script.sha, [runs[i] for i in missing])
            for i, reply in zip(missing, again, strict=True):
                replies[i] = reply
        return replies

    async def _pipeline(self, sha: str, runs: Sequence[Sequence[Arg]]) -> list[Any]:
        async with self.client.pipeline(transaction=False) as pipe:
            for words in runs:
                pipe.evalsha(sha, *words)  # type: ignore[arg-type]
            return await pipe.execute(raise_on_error=False)


class GroupCommit:
    """The runs of one script asked for in one event-loop turn, sent as one pipeline.

    Concurrent claims each wait for Redis; sending the turn's admissions together costs
    one socket write and one read for all of them instead of one each. Every caller gets
    its own reply (or its own error).
    """

    def __init__(self, scripts: Scripts, name: str) -> None:
        self.scripts, self.name = scripts, name
        self._waiting: list[tuple[list[Arg], asyncio.Future[Any]]] = []
        self._sending: set[asyncio.Task[None]] = set()

    async def run(self, keys: Sequence[str], args: Sequence[Arg]) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting.append((self.scripts.words(self.name, keys, args), future))
        if len(self._waiting) == 1:
            # call_soon runs after every callback already due this turn: their runs join.
            asyncio.get_running_loop().call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        batch, self._waiting = self._waiting, []
        task = asyncio.ensure_future(self._send(batch))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send(self, batch: list[tuple[list[Arg], asyncio.Future[Any]]]) -> None:
        try:
            with REDIS_SCRIPT_DURATION.labels(self.name).time():
                replies = await self.scripts.replies(self.name, [words for words, _ in batch])
        except Exception as exc:  # noqa: BLE001 - every caller gets the failure
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), reply in zip(batch, replies, strict=True):
            if future.done():
                continue
            if isinstance(reply, Exception):
                future.set_exception(reply)
            else:
                future.set_result(reply)


def fields(mapping: Mapping[str, str] | Mapping[str, int] | Mapping[str, str | int]) -> Any:
    """A hash's fields as redis-py's HSET takes them (its stubs want a wider key type)."""
    return dict(mapping)


def text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def texts(raw: dict[Any, Any]) -> dict[str, str]:
    return {text(k): text(v) for k, v in raw.items()}
