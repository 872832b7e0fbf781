"""Commands for the local Redis, PostgreSQL and broker, and their schema."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from engine.cli.common import (
    DEFAULT_STATE,
    RedisCluster,
    RedisReplicas,
    StateDir,
    console,
    settings_for,
)


def stack_up(
    state_dir: StateDir = DEFAULT_STATE,
    redis_cluster: RedisCluster = 0,
    redis_replicas: RedisReplicas = 0,
) -> None:
    """Start redis-server (or a Redis Cluster), PostgreSQL and the broker on free loopback
    ports."""
    from engine.stack.local import LocalStack
    from engine.stack.processes import StackError

    try:
        LocalStack(state_dir, console.print, redis_cluster, redis_replicas).up()
    except StackError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None


def stack_down(state_dir: StateDir = DEFAULT_STATE) -> None:
    """Stop exactly the processes `stack up` started."""
    from engine.stack.local import LocalStack

    LocalStack(state_dir, log=console.print).down()


def stack_status(state_dir: StateDir = DEFAULT_STATE) -> None:
    """Show the local servers and whether each answers."""
    from engine.stack.local import LocalStack

    rows = LocalStack(state_dir).status()
    table = Table("server", "pid", "port", "running", "log")
    for r in rows:
        table.add_row(
            r["name"], str(r["pid"]), str(r["port"]), "yes" if r["running"] else "NO", r["log"]
        )
    Console().print(table if rows else "no local stack in " + str(state_dir))
    if not rows or not all(r["running"] for r in rows):
        raise typer.Exit(1)


def prepare(state_dir: StateDir = DEFAULT_STATE) -> None:
    """Apply the SQL migrations and create the topics on the configured services."""
    import asyncio

    from engine.adapters.kafka import ensure_topics
    from engine.adapters.migrations import migrate

    settings = settings_for(state_dir)
    applied = asyncio.run(migrate(settings.database_url.get_secret_value()))
    console.print(f"migrations applied: {', '.join(applied) or 'none (up to date)'}")
    created = asyncio.run(ensure_topics(settings))
    console.print(f"topics created: {', '.join(created) or 'none (present)'}")
