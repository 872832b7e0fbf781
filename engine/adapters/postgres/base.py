"""What every PostgreSQL adapter shares: the pool, the named queries, time and digests."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from functools import cache
from importlib import resources
from typing import Any, TypeVar

import asyncpg

from engine.adapters.failures import TRANSIENT
from engine.domain.clock import ms_from_utc, utc_from_ms
from engine.errors import BackendDown

__all__ = ["Queries", "decoded", "ms_from_utc", "named_queries", "queries", "utc_from_ms"]

T = TypeVar("T")

_NAME = re.compile(r"^-- name: (\w+)\s*$", re.MULTILINE)


@cache
def named_queries(package: str, filename: str) -> dict[str, str]:
    """The `-- name: x` sections of one SQL file shipped in a package."""
    text = (resources.files(package) / "sql" / filename).read_text()
    parts = _NAME.split(text)[1:]
    return {name: body.strip() for name, body in zip(parts[::2], parts[1::2], strict=True)}


def queries() -> dict[str, str]:
    return named_queries("engine.adapters", "queries.sql")


def decoded(record: type[T], rows: Iterable[Mapping[str, Any]]) -> list[T]:
    """Rows whose columns are the record's fields, as records."""
    return [record(**dict(row)) for row in rows]


# The connection of the transaction this task is in, if any (see Queries.transaction).
_TRANSACTION: ContextVar[tuple[asyncpg.Pool, asyncpg.Connection] | None] = ContextVar(
    "transaction", default=None
)


class Queries:
    """A pool and the named queries; each concern's records class builds on it.

    Every query runs on the connection of the transaction the calling task opened with
    `transaction()`, or on the pool outside one: a use case groups several records'
    writes (an action and its audit row) into one transaction without knowing SQL.
    """

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.q = queries()

    def db(self) -> Any:
        """Where a query runs: the open transaction's connection, else the pool."""
        current = _TRANSACTION.get()
        return current[1] if current and current[0] is self.pool else self.pool

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[asyncpg.Connection]:
        """One transaction for everything awaited inside; nested, a savepoint. Its own
        driver errors (acquiring, BEGIN, COMMIT) become `BackendDown` like a method's."""
        try:
            async with self._transaction() as conn:
                yield conn
        except TRANSIENT as exc:
            raise BackendDown() from exc

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[asyncpg.Connection]:
        current = _TRANSACTION.get()
        if current is not None and current[0] is self.pool:
            async with current[1].transaction():
                yield current[1]
            return
        async with self.pool.acquire() as conn, conn.transaction():
            token = _TRANSACTION.set((self.pool, conn))
            try:
                yield conn
            finally:
                _TRANSACTION.reset(token)
