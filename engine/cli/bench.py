"""The burst benchmarks: the engine against its same-run baselines."""

from __future__ import annotations

import sys
from dataclasses import fields
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from engine.bench.judgement import BenchOptions, BenchReport, Thresholds
from engine.cli.common import RedisCluster, StateDir, console, settings_for
from engine.cli.engine import start_engine
from engine.cli.stack import stack_up

# What earlier runs left (keys, rows, a memory-only broker's lost log) is not measured.
Fresh = Annotated[
    bool, typer.Option(help="start the stack with empty servers (when the bench starts it)")
]

WrkConnections = Annotated[
    int, typer.Option(help="wrk's requests in flight (phones waiting on an answer)")
]


def bench(
    ctx: typer.Context,
    scenario: Annotated[str, typer.Argument(help="claim_burst, redeem or mixed")] = "claim_burst",
    workers: Annotated[
        int, typer.Option(help="distinct workers (one claim attempt each)")
    ] = 250_000,
    quota: Annotated[int, typer.Option(help="the hot campaign's quota")] = 200_000,
    codes: Annotated[int, typer.Option(help="issued codes to redeem (redeem, mixed)")] = 30_000,
    processes: Annotated[int, typer.Option(help="API (and baseline) processes")] = 1,
    stream_workers: Annotated[int, typer.Option(help="core stream workers")] = 1,
    redis_cluster: RedisCluster = 0,
    server: Annotated[
        str, typer.Option(help="uvicorn or granian (engine and baselines)")
    ] = "uvicorn",
    users: Annotated[int, typer.Option(help="locust users (requests in flight)")] = 64,
    locust_processes: Annotated[int, typer.Option(help="locust worker processes")] = 1,
    generators: Annotated[str, typer.Option(help="comma-separated: locust,wrk")] = "locust,wrk",
    compare: Annotated[bool, typer.Option(help="also run the ceiling and PostgreSQL-only")] = True,
    compare_workers: Annotated[int, typer.Option(help="workers per baseline run")] = 60_000,
    wrk_seconds: int = 10,
    wrk_connections: WrkConnections = 64,
    claims_per_s: Annotated[
        float, typer.Option(help="pace locust's claims to this rate (p99 at a share of peak)")
    ] = 0,
    smoke: Annotated[bool, typer.Option(help="a few seconds, small quota (CI)")] = False,
    pin: Annotated[
        bool,
        typer.Option(help="the API (and each baseline) on core 0, everything else on core 1"),
    ] = False,
    profile: Annotated[
        bool,
        typer.Option(help="py-spy flame graphs (SVG) of the API and stream workers, in --out"),
    ] = False,
    min_claims_per_s: float = 0,
    max_claim_p99_ms: float = 0,
    min_ceiling_share: float = 0,
    min_vs_postgres: float = 0,
    min_redemptions_per_s: float = 0,
    max_redeem_p99_ms: float = 0,
    fresh: Fresh = True,
    out: Annotated[Path, typer.Option(help="report folder")] = Path("bench-results"),
    state_dir: StateDir = Path(".nuanxin-bench"),
) -> None:
    """Start everything, run a scenario against the engine and its baselines, check, report.

    Exits 1 if a correctness check fails or a threshold given here is missed.
    """
    from engine.bench.report import print_report, write_chart, write_json

    options = bench_options(ctx.params)
    report = _run(options, state_dir, out, fresh)
    # A report read from a file or a CI log keeps its columns whole.
    out_console = Console(width=None if sys.stdout.isatty() else 140)
    print_report(report, out_console)
    write_json(report, out / "report.json")
    if write_chart(report, out / "burst.png"):
        out_console.print(f"report: {out}/report.json, chart: {out}/burst.png")
    if not report.ok:
        console.print("[red]a correctness check failed or a threshold was missed[/red]")
        raise typer.Exit(1)


def bench_options(params: dict[str, Any]) -> BenchOptions:
    """The command's parameters as the bench's options (a smoke run: a few seconds)."""
    from engine.bench.runner import SCENARIOS

    p = dict(params)
    if p["scenario"] not in SCENARIOS:
        raise typer.BadParameter(f"choose one of {', '.join(SCENARIOS)}", param_hint="SCENARIO")
    if p["smoke"]:
        p |= {"workers": 3000, "quota": 2000, "codes": 1000, "compare_workers": 1500}
        p |= {"wrk_seconds": 2, "users": min(p["users"], 32)}
    thresholds = Thresholds(**{f.name: p[f.name] for f in fields(Thresholds)})
    return BenchOptions(
        scenario=p["scenario"],
        workers=p["workers"],
        quota=p["quota"],
        codes=min(p["codes"], p["workers"]),
        merchant_keys=5 if p["smoke"] else 50,
        api_processes=p["processes"],
        stream_workers=p["stream_workers"],
        redis_cluster=p["redis_cluster"],
        server=p["server"],
        users=p["users"],
        locust_processes=p["locust_processes"],
        generators=tuple(g.strip() for g in p["generators"].split(",") if g.strip()),
        compare=p["compare"],
        compare_workers=p["compare_workers"],
        wrk_seconds=p["wrk_seconds"],
        wrk_connections=p["wrk_connections"],
        claims_per_s=p["claims_per_s"],
        pin=p["pin"],
        profile=p["profile"],
        thresholds=thresholds,
    )


def _run(options: BenchOptions, state_dir: Path, out: Path, fresh: bool) -> BenchReport:
    """Start the stack (unless it runs; from empty servers if `fresh`) and the engine, run
    the bench, stop what it started."""
    import asyncio

    from engine.bench.per_unit import API_CORE, REST_CORE, pin, pin_self
    from engine.bench.runner import Bench
    from engine.stack.local import LocalStack

    processes, server = options.api_processes, options.server
    redis_cluster, stream_workers = options.redis_cluster, options.stream_workers
    if options.pin:
        pin_self()  # what this starts inherits core 1; the API is moved to core 0
    stack = LocalStack(state_dir, log=console.print)
    started_stack = not stack.status() or not all(s["running"] for s in stack.status())
    if started_stack and fresh:
        stack.down()
        stack.discard_data()
    stack_up(state_dir, redis_cluster)
    engine = start_engine(
        state_dir, 0, processes, windows=False, server=server, stream_workers=stream_workers
    )
    try:
        assert engine.api is not None
        groups = {"api": [engine.api.pid], "stream": [p.pid for p in engine.streams]}
        groups |= {s["name"]: [s["pid"]] for s in stack.status()}
        if options.pin:
            for name, pids in groups.items():
                pin(pids, API_CORE if name == "api" else REST_CORE)
        settings = settings_for(state_dir)
        bench = Bench(settings, engine.base_url, options, groups, out, Console(), engine)
        report = asyncio.run(bench.run())
    finally:
        engine.stop()
        if started_stack:
            stack.down()
    return report
