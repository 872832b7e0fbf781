"""One Redis client per process, and the Lua scripts bound to it once."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import unquote

import redis.asyncio as redis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.commands.core import AsyncScript
from redis.crc import key_slot
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError

from engine.adapters.failures import NotReplicated
from engine.adapters.redis.packed import PackedConnection, pack_in_c
from engine.metrics import REDIS_SCRIPT_DURATION

# A single Redis or a Redis Cluster: every key the engine uses names its slot (keys.py),
# so the adapters send the same commands to either.
Client = redis.Redis | RedisCluster
CLUSTER_SCHEME = "redis+cluster://"
# What a script takes as an argument (redis-py encodes each).
Arg = str | int | float | bytes
# One run of a script: its KEYS and its ARGV.
Run = tuple[Sequence[str], Sequence[Arg]]
# Replies after which a run is sent again, and how many times (replies()).
_RESENT = (NoScriptError, RedisConnectionError)
_RESENDS = 4
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
    "bind_key",
    "delete_if",
    "raise_marks",
    "fence_placed",
    "count_window",
    "add_places",
    "move_stock",
    "cancel_claim",
    "choose_station",
)


def connect(url: str, max_connections: int) -> Client:
    """A client for `redis://...` (one server) or `redis+cluster://[user:password@]host:port,
    host:port,...` (a cluster found from any of the nodes named)."""
    if url.startswith(CLUSTER_SCHEME):
        return _cluster(url, max_connections)
    # BlockingConnectionPool waits for a free connection under a burst instead of raising.
    # A pooled connection that died with a Redis restart fails when used; the command was
    # not sent, so it is retried on a fresh connection (only connection errors: a timeout
    # may have run the command).
    pool = redis.BlockingConnectionPool.from_url(
        url,
        connection_class=PackedConnection,
        max_connections=max_connections,
        timeout=5,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 3),
        retry_on_error=[RedisConnectionError],
    )
    return redis.Redis(connection_pool=pool)


def cluster_address(url: str) -> tuple[list[tuple[str, int]], str | None, str | None]:
    """The nodes, user name and password a `redis+cluster://` URL names."""
    rest = url.removeprefix(CLUSTER_SCHEME).rstrip("/")
    user = password = None
    if "@" in rest:
        credentials, rest = rest.rsplit("@", 1)
        user, _, password = credentials.partition(":")
        user, password = unquote(user) or None, unquote(password) or None
    nodes = []
    for part in rest.split(","):
        host, sep, port = part.strip().rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ValueError(f"a cluster node must be host:port, not {part.strip()!r}")
        nodes.append((host, int(port)))
    return nodes, user, password


def _cluster(url: str, max_connections: int) -> RedisCluster:
    nodes, user, password = cluster_address(url)
    # Between tries the client asks the cluster for its slots again; its tries (about 7 s
    # in all) span a failover's election (cluster-node-timeout plus a vote).
    # `max_connections` is per node; past it the cluster client raises instead of
    # waiting, so Redis.from_settings gives it room for every request in flight.
    client = RedisCluster(
        startup_nodes=[ClusterNode(host, port) for host, port in nodes],
        username=user,
        password=password,
        max_connections=max_connections,
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.1), 10),
        retry_on_error=[RedisConnectionError],
    )
    return pack_in_c(client)


def one_slot(script: str, keys: Sequence[str]) -> None:
    """Raise what a Redis Cluster answers when a script's keys span slots."""
    if len({key_slot(k.encode()) for k in keys}) > 1:
        raise ResponseError(f"CROSSSLOT {script}: keys in request don't hash to the same slot")


@dataclass(frozen=True)
class Durability:
    """`check_slots`: refuse a run whose keys do not all hash to one slot, as a Redis
    Cluster would (CROSSSLOT). A single Redis accepts such a run, so the test stacks turn
    this on: the suite on one Redis then fails where a cluster would.

    `wait_replicas`: replicas that must hold each decision before it counts (Redis's
    WAIT after every pipeline of runs, on each master they went to); 0: none asked.

    `confirm_retry_s`: how long a decision's confirmation, refused by Redis, is sent
    again (RedisSettlement); `confirm_delay_s`: how long it waits to go with others."""

    check_slots: bool = False
    wait_replicas: int = 0
    wait_timeout_ms: int = 500
    confirm_retry_s: float = 0.0
    confirm_delay_s: float = 0.0


class Scripts:
    """Every script read from the package once and run by EVALSHA (reloaded on NOSCRIPT)."""

    def __init__(self, client: Client, durability: Durability | None = None) -> None:
        self.client, self.durability = client, durability or Durability()
        folder = resources.files("engine.adapters.redis") / "lua"
        self._scripts: dict[str, AsyncScript] = {
            name: client.register_script((folder / f"{name}.lua").read_text())
            for name in SCRIPT_NAMES
        }

    def group_commit(self, name: str) -> GroupCommit:
        return GroupCommit(self, name)

    async def run(self, name: str, keys: Sequence[str], args: Sequence[Arg] = ()) -> Any:
        """One run, by the same path as many (resent, and waited for, alike)."""
        return (await self.run_many(name, [(keys, args)]))[0]

    def words(self, name: str, keys: Sequence[str], args: Sequence[Arg]) -> list[Arg]:
        """One run as EVALSHA takes it after the sha: numkeys, keys, args."""
        if self.durability.check_slots:
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
        script pipelines ask SCRIPT EXISTS first, a round trip more per batch); each run is
        `words()` of its keys and args.

        Sent again: a run answered NOSCRIPT (Redis lost its script cache, so it did not
        run; the script is loaded first), one whose connection broke (a server restarted
        or failed over) and, once, one no replica confirmed (the slots may have moved). A
        run sent again may have run already: each decision is kept on the record its ARGV
        names (claim, redemption...), so a second run answers as the first did, and an
        admission's repeat is not counted against the request rate; the throttle script's
        counters may count a resent run twice."""
        script = self._scripts[name]
        replies = await self._pipeline(script.sha, runs)
        for attempt in range(_RESENDS):
            # Not replicated, once: the WAIT went to the master the client knew, and a run
            # redirected (MOVED) to a new one is waited for only when sent again.
            resent = (*_RESENT, NotReplicated) if attempt == 0 else _RESENT
            failed = [i for i, r in enumerate(replies) if isinstance(r, resent)]
            if not failed:
                break
            if any(isinstance(replies[i], NoScriptError) for i in failed):
                script.sha = await self.client.script_load(script.script)
            else:
                if any(isinstance(replies[i], RedisConnectionError) for i in failed):
                    await self._drop_idle_connections()
                await asyncio.sleep(0.05 * 2**attempt)
            again = await self._pipeline(script.sha, [runs[i] for i in failed])
            for i, reply in zip(failed, again, strict=True):
                replies[i] = reply
        return replies

    async def _pipeline(self, sha: str, runs: Sequence[Sequence[Arg]]) -> list[Any]:
        wanted, timeout_ms = self.durability.wait_replicas, self.durability.wait_timeout_ms
        masters, nodes = await self._masters(runs) if wanted else ([], {})
        async with self.client.pipeline(transaction=False) as pipe:
            for words in runs:
                # Not pipe.evalsha: redis-py's cluster pipeline refuses it, in case a
                # script's keys span nodes. Ours never do (tests/unit/test_lua_keys.py and
                # check_slots), and the cluster client routes each run by its first key.
                pipe.execute_command("EVALSHA", sha, *words)
            # After the runs, a WAIT on each master they went to: within a pipeline a
            # master's commands share one connection, which is what WAIT waits for.
            for node in nodes.values():
                target = {"target_nodes": node} if node is not None else {}
                pipe.execute_command("WAIT", wanted, timeout_ms, **target)
            try:
                replies: list[Any] = await pipe.execute(raise_on_error=False)
            except (AttributeError, RuntimeError) as exc:
                if not isinstance(self.client, RedisCluster):
                    raise
                # redis-py's cluster client, retrying another pipeline through a failover,
                # closes every node connection; one this pipeline was writing to then has
                # no socket (or a closed transport). Nothing was sent: each run answers a
                # connection error, and replies() sends it again.
                broken = RedisConnectionError(f"connection closed while in use: {exc!r}")
                return [broken] * len(runs)
        if not masters:
            return replies
        answers = replies[: len(runs)]
        confirmed = dict(zip(nodes, replies[len(runs) :], strict=True))
        for i, master in enumerate(masters):
            held = confirmed[master]
            short = isinstance(held, Exception) or int(held) < wanted
            if short and not isinstance(answers[i], Exception):
                answers[i] = NotReplicated(f"{held} of {wanted} replicas confirmed in time")
        return answers

    async def _drop_idle_connections(self) -> None:
        """After a broken connection, close the idle ones too: a restarted server broke
        them all, and a pool of dead connections would outlast every resend."""
        if isinstance(self.client, RedisCluster):
            for node in self.client.get_nodes():
                node.update_active_connections_for_reconnect()
                await node.disconnect_free_connections()
        else:
            await self.client.connection_pool.disconnect(inuse_connections=False)

    async def _masters(self, runs: Sequence[Sequence[Arg]]) -> tuple[list[str], dict[str, Any]]:
        """The name of the master serving each run's slot, and those masters by name (one
        Redis: one nameless master, no node to target)."""
        if not isinstance(self.client, RedisCluster):
            return [""] * len(runs), {"": None}
        await self.client.initialize()  # the slots are known once it has been
        names, nodes = [], {}
        for words in runs:  # words: numkeys, keys..., args...
            node = self.client.nodes_manager.get_node_from_slot(key_slot(str(words[1]).encode()))
            names.append(node.name)
            nodes[node.name] = node
        return names, nodes


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
