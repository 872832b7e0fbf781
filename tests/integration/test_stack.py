"""The local stack scripts: up, status, down, and migrations that match the code."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from redis import Redis

from engine.adapters.migrations import migrate
from engine.adapters.postgres import queries
from engine.stack.local import LocalStack, StackError
from engine.stack.processes import alive, port_open


def test_second_stack_up_status_down(tmp_path):
    stack = LocalStack(tmp_path / "state", log=lambda *_: None)
    env = stack.up()
    try:
        assert set(env) >= {
            "NUANXIN_REDIS_URL",
            "NUANXIN_DATABASE_URL",
            "NUANXIN_KAFKA_BOOTSTRAP",
            "NUANXIN_OPS_TOKEN",
            "NUANXIN_SIGNING_KEYS_FILE",
            "NUANXIN_WORKER_TOKEN_KEYS_FILE",
        }
        status = stack.status()
        assert [s["name"] for s in status] == ["redis", "postgres", "broker"]
        assert all(s["running"] for s in status)
        # Secrets (the ops token, the database password, keys) for the owner's eyes only.
        state = tmp_path / "state"
        for path in (state, state / "stack.env", state / "stack.json", state / "keys"):
            assert path.stat().st_mode & 0o077 == 0, path
        assert "NUANXIN_OPS_TOKEN" in (state / "stack.json").read_text()
        assert stack.up() == env  # idempotent while running
    finally:
        stopped = stack.down()
    assert sorted(stopped) == ["broker", "postgres", "redis"]
    assert not any(alive(s["pid"]) or port_open(s["port"]) for s in status)
    assert stack.status() == []


def test_discarded_data_gives_empty_servers_and_is_refused_while_running(tmp_path):
    stack = LocalStack(tmp_path / "state", log=lambda *_: None)
    env = stack.up()
    try:
        with Redis.from_url(env["NUANXIN_REDIS_URL"]) as redis:
            redis.set("left-by-an-earlier-run", 1)
            redis.save()
        asyncio.run(_sql(env, "CREATE TABLE left_by_an_earlier_run (x int)"))
        with pytest.raises(StackError, match="running"):
            stack.discard_data()
    finally:
        stack.down()
    stack.discard_data()
    env = stack.up()
    try:
        with Redis.from_url(env["NUANXIN_REDIS_URL"]) as redis:
            assert redis.dbsize() == 0
        assert asyncio.run(_sql(env, "SELECT to_regclass('left_by_an_earlier_run')")) is None
    finally:
        stack.down()


async def _sql(env: dict[str, str], query: str) -> object:
    db = await asyncpg.connect(env["NUANXIN_DATABASE_URL"])
    try:
        return await db.fetchval(query)
    finally:
        await db.close()


async def test_migrations_are_applied_once_and_queries_prepare(settings):
    url = settings.database_url.get_secret_value()
    assert await migrate(url) == []
    conn = await asyncpg.connect(url)
    try:
        for sql in queries().values():
            await conn.prepare(sql)  # fails if a table or column the code names is missing
    finally:
        await conn.close()
