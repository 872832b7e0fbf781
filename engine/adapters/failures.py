"""Which driver errors mean a backing service is down or unreachable: stated once.

The stream retries a batch that failed with one of these, the API answers 503, and the
PostgreSQL adapter turns them into `Unavailable` where a use case may serve stale data.
"""

from __future__ import annotations

import asyncpg
import redis.exceptions

from engine.adapters.redis import NotReplicated

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


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, TRANSIENT)
