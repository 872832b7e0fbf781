"""`nuanxin chaos`: a randomized fault run that checks the books."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from engine.cli.common import RedisCluster, console
from engine.cli.engine import stopping_on_sigterm


def chaos(
    seconds: Annotated[
        float, typer.Option(help="how long the clients send (faults meanwhile)")
    ] = 60,
    seed: Annotated[int, typer.Option(help="the schedule and the clients' choices")] = 1,
    redis_cluster: RedisCluster = 0,
    workers: Annotated[int, typer.Option(help="simulated workers")] = 400,
    state_dir: Annotated[Path, typer.Option(help="the run's own stack (made anew)")] = Path(
        ".nuanxin-chaos"
    ),
) -> None:
    """Start the engine on a stack of its own; claim, redeem and reverse from clients that
    retry with the same Idempotency-Key, while API processes, stream workers, the broker,
    PostgreSQL and Redis (a master, on a cluster) are killed and restarted on a seeded
    schedule; then check every answer against the books. Exit 1 on any violation."""
    from engine.chaos.runner import Options, run

    stopping_on_sigterm()
    o = Options(seconds, seed, redis_cluster, state_dir, workers)
    outcome = asyncio.run(run(o, console.print))
    statuses: dict[str, dict[str, int]] = {}
    for a in outcome.answers:
        by = statuses.setdefault(a.kind, {})
        by[str(a.status or "none")] = by.get(str(a.status or "none"), 0) + 1
    console.print(f"faults survived: {len(outcome.faults)}")
    for kind, counts in statuses.items():
        console.print(f"  {kind}: " + ", ".join(f"{s} x{n}" for s, n in sorted(counts.items())))
    for promise, ok, detail in outcome.verdict.lines:
        mark = "[green]ok[/green]  " if ok else "[red]BROKEN[/red]"
        console.print(f"  {mark} {promise}" + (f": {detail}" if detail else ""))
    console.print(
        "verdict: "
        + ("[green]every promise held[/green]" if outcome.verdict.ok else "[red]violations[/red]")
    )
    if not outcome.verdict.ok:
        raise typer.Exit(1)
