"""What every PostgreSQL adapter shares: the pool, the named queries, time and digests."""

from __future__ import annotations

import hashlib
import re
from functools import cache
from importlib import resources

import asyncpg

from engine.domain.clock import ms_from_utc, utc_from_ms

__all__ = ["Queries", "hash_api_key", "ms_from_utc", "named_queries", "queries", "utc_from_ms"]

_NAME = re.compile(r"^-- name: (\w+)\s*$", re.MULTILINE)


@cache
def named_queries(package: str, filename: str) -> dict[str, str]:
    """The `-- name: x` sections of one SQL file shipped in a package."""
    text = (resources.files(package) / "sql" / filename).read_text()
    parts = _NAME.split(text)[1:]
    return {name: body.strip() for name, body in zip(parts[::2], parts[1::2], strict=True)}


def queries() -> dict[str, str]:
    return named_queries("engine.adapters", "queries.sql")


def hash_api_key(api_key: str) -> bytes:
    # API keys are 256-bit random strings, so a plain digest is enough to store them.
    return hashlib.sha256(api_key.encode()).digest()


class Queries:
    """A pool and the named queries; each concern's records class builds on it."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.q = queries()
