"""Which driver errors mean a backing service is down or unreachable, stated once, and
the one place they become an engine error.

Every adapter class is `@translated`: its public coroutines raise `BackendDown` (with the
driver's error as the cause) where the driver raised one of these, as an HTTP client's
transport maps its socket errors to its own. The API then answers 503 and the stream
retries the batch, without either knowing a driver.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

import asyncpg
import redis.exceptions

from engine.errors import BackendDown, Unavailable


class NotReplicated(redis.exceptions.RedisError):
    """A decision was made on a Redis master, but fewer replicas than required confirmed
    it in time: a failover now could lose it, so it is not answered as made (503; the
    unsettled repair releases it if it stands)."""


TRANSIENT: tuple[type[Exception], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.AdminShutdownError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.BusyLoadingError,
    # A Redis Cluster mid-failover: a slot without a master for a moment.
    redis.exceptions.ClusterDownError,
    redis.exceptions.TryAgainError,
    redis.exceptions.SlotNotCoveredError,
    NotReplicated,
)
# Marks a method that translates (the architecture test finds the ones that do not).
TRANSLATED = "__translates_driver_errors__"

P = ParamSpec("P")
R = TypeVar("R")
C = TypeVar("C", bound=type)


def is_transient(exc: BaseException) -> bool:
    """A service down (BackendDown, or the log not acknowledging: Unavailable): worth
    waiting for and trying again."""
    return isinstance(exc, (Unavailable, *TRANSIENT))


def translated(cls: C) -> C:
    """The class with each of its public coroutines translating."""
    for name, member in list(vars(cls).items()):
        if not name.startswith("_") and inspect.iscoroutinefunction(member):
            setattr(cls, name, _translating(member))
    return cls


def _translating(method: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    @functools.wraps(method)
    async def call(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await method(*args, **kwargs)
        except TRANSIENT as exc:
            raise BackendDown() from exc

    setattr(call, TRANSLATED, True)
    return call


def translates(method: object) -> bool:
    return bool(getattr(method, TRANSLATED, False))
