"""Commands that run the engine: the API, the stream workers, all of it, the demo."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from engine.cli.common import (
    DEFAULT_STATE,
    RedisCluster,
    RedisReplicas,
    StateDir,
    console,
    load_env_file,
    render_json,
    settings_for,
)
from engine.cli.stack import stack_down, stack_up
from engine.demo.pages import PageLinks
from engine.settings import Settings
from engine.stack.engine_processes import EngineProcesses
from engine.stack.http_servers import server_command


def api(
    port: int = 8080,
    host: str = "127.0.0.1",
    processes: Annotated[int, typer.Option(help="server worker processes (one port)")] = 1,
    server: Annotated[str, typer.Option(help="uvicorn or granian")] = "uvicorn",
    state_dir: StateDir = DEFAULT_STATE,
) -> None:
    """Serve the HTTP API against the configured services."""
    load_env_file(state_dir)
    argv = server_command(server, "engine.api.main:app_from_env", host, port, processes)
    os.execv(argv[0], argv)  # the server in this process: signals reach it directly


def stream(
    role: Annotated[
        str,
        typer.Option(help="core: issue, ledger, timers; windows: live counts; watch: cash-out"),
    ] = "core",
    state_dir: StateDir = DEFAULT_STATE,
) -> None:
    """Run stream workers of one role (faust agents)."""
    from engine.logs import configure
    from engine.stream.app import run_worker

    configure()
    settings = settings_for(state_dir)
    if settings.stream_metrics_port and role == "core":
        from prometheus_client import start_http_server

        start_http_server(settings.stream_metrics_port, settings.stream_metrics_addr)
    run_worker(settings, role)


def up(
    port: int = 8080,
    processes: Annotated[int, typer.Option(help="API server processes (one port)")] = 1,
    stream_workers: Annotated[
        int, typer.Option(help="core stream workers (the partitions are spread over them)")
    ] = 1,
    redis_cluster: RedisCluster = 0,
    redis_replicas: RedisReplicas = 0,
    server: Annotated[str, typer.Option(help="uvicorn or granian")] = "uvicorn",
    state_dir: StateDir = DEFAULT_STATE,
) -> None:
    """Run the stack, the API and the stream workers in the foreground until Ctrl-C or
    SIGTERM, which stop every one of them in order."""
    stopping_on_sigterm()
    try:
        stack_up(state_dir, redis_cluster, redis_replicas)
        engine = start_engine(
            state_dir, port, processes, server=server, stream_workers=stream_workers
        )
    except BaseException:
        stack_down(state_dir)  # a start that failed, or was stopped, leaves nothing
        raise
    console.print(
        f"API on {engine.base_url}: {processes} API process(es),"
        f" {stream_workers} core stream worker(s)  (Ctrl-C or SIGTERM stops everything)"
    )
    if not settings_for(state_dir).log_durable:
        console.print(
            "[yellow]the log is the local in-memory broker: not durable. What it loses at a"
            " restart is driven again from Redis and PostgreSQL; a deployment needs a"
            " replicated Kafka (docs/DEPLOYMENT.md)[/yellow]"
        )
    try:
        while engine.all_running():
            time.sleep(0.5)
        console.print("[red]a component exited; stopping[/red]")
    except KeyboardInterrupt:
        console.print("stopping: the API first, then the stream workers, then the servers")
    finally:
        engine.stop()
        stack_down(state_dir)


def start_engine(
    state_dir: Path,
    port: int,
    processes: int,
    windows: bool = True,
    server: str = "uvicorn",
    stream_workers: int = 1,
) -> EngineProcesses:
    """The stream workers, then the API; returns once the API answers."""
    engine = EngineProcesses(
        state_dir / "logs", cli_args=("--state-dir", str(state_dir)), port=port
    )
    try:
        for _ in range(stream_workers):
            engine.start_stream()
        if windows:
            engine.start_windows()
        engine.start_watch()
        engine.start_api(processes, server=server)
        if not engine.all_running():
            raise RuntimeError(f"a component exited during start-up; see {state_dir / 'logs'}")
    except BaseException:
        engine.stop()
        raise
    return engine


def demo(
    workers: Annotated[int, typer.Option(help="simulated workers in the claim burst")] = 10_000,
    concurrency: Annotated[int, typer.Option(help="requests in flight")] = 64,
    port: int = 0,
    processes: int = 1,
    windows: Annotated[
        bool, typer.Option(help="also run the live-window workers (they share the 2 cores)")
    ] = False,
    keep: Annotated[
        bool, typer.Option(help="keep the engine and stack up afterwards for the pages (Ctrl-C)")
    ] = False,
    dashboard_shot: Annotated[
        Path | None, typer.Option(help="save a picture of the dashboard during the burst")
    ] = None,
    state_dir: StateDir = DEFAULT_STATE,
) -> None:
    """Start everything, run the Spring Festival programmes' burst, check the books, stop."""
    import asyncio

    from engine.demo.runner import Demo
    from engine.stack.local import LocalStack

    stopping_on_sigterm()
    stack = LocalStack(state_dir, log=console.print)
    started_stack = not stack.status() or not all(s["running"] for s in stack.status())
    stack_up(state_dir)
    engine = start_engine(state_dir, port, processes, windows)
    try:
        settings = settings_for(state_dir)
        run = Demo(settings, engine.base_url, workers, concurrency, Console(), dashboard_shot)
        report = asyncio.run(run.run())
        if report.links is not None:
            _show_pages(report.links, state_dir / "demo-pages.txt", keep)
        if keep and report.ok:
            _wait_for_interrupt()
        asyncio.run(run.close_programmes())
    finally:
        engine.stop()
        if started_stack:
            stack.down()
    if not report.ok:
        console.print("[red]a check failed[/red]")
        raise typer.Exit(1)


def _show_pages(links: PageLinks, path: Path, keep: bool) -> None:
    links.save(path)
    for name, url in links.pages().items():
        console.print(f"{name:<10} {url}")
    console.print(
        f"signed-in links (a worker holding vouchers, a till that takes them, operations)"
        f" are in {path}, readable by you only"
    )
    if not keep:
        console.print("the pages stop with the demo: run it with --keep to open them")


def stopping_on_sigterm() -> None:
    """SIGTERM (what systemd, Docker and Kubernetes send to stop a process) stops the way
    Ctrl-C does: every process this command started is stopped in order, none orphaned."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)


def _wait_for_interrupt() -> None:
    console.print("keeping the engine and the stack up; Ctrl-C stops them")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        console.print("stopping")


def reconcile(
    repair: Annotated[
        bool, typer.Option(help="rebuild campaigns whose Redis state is gone, from PostgreSQL")
    ] = False,
    campaign: Annotated[str | None, typer.Option(help="only this campaign")] = None,
    state_dir: StateDir = DEFAULT_STATE,
) -> None:
    """Compare Redis with PostgreSQL and the log; print every difference (exit 1 if any)."""
    import asyncio

    from engine.cli.operations import run_reconcile

    settings = settings_for(state_dir)
    report = asyncio.run(run_reconcile(settings, repair, console.print, campaign))
    for line in report.differences:
        print(line)
    console.print(
        f"{report.campaigns} campaigns, {report.log_events} claim events in the log,"
        f" rebuilt: {', '.join(report.rebuilt) or 'none'},"
        f" differences: {len(report.differences)}"
    )
    if report.differences:
        raise typer.Exit(1)


def schemas(out: Path = Path("schemas")) -> None:
    """Write the OpenAPI document and the event JSON Schemas derived from the code."""
    from engine.api.app import create_app
    from engine.events import SCHEMA_TYPES, json_schema

    (out / "events").mkdir(parents=True, exist_ok=True)
    (out / "openapi.json").write_text(render_json(create_app(Settings()).openapi()))
    for name in SCHEMA_TYPES:
        (out / "events" / f"{name}.json").write_text(render_json(json_schema(name)))
    console.print(f"wrote {out}/openapi.json and {len(SCHEMA_TYPES)} event schemas")
