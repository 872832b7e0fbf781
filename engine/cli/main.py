"""`nuanxin`: run the local stack, the API, the stream workers and the demo."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from engine.settings import Settings

app = typer.Typer(no_args_is_help=True, help="Nuanxin voucher engine.")
stack_app = typer.Typer(no_args_is_help=True, help="The local Redis, PostgreSQL and broker.")
app.add_typer(stack_app, name="stack")
workers_app = typer.Typer(no_args_is_help=True, help="Worker profiles.")
app.add_typer(workers_app, name="workers")
lottery_app = typer.Typer(no_args_is_help=True, help="Lottery draws.")
app.add_typer(lottery_app, name="lottery")
console = Console(stderr=True)

StateDir = Annotated[
    Path, typer.Option("--state-dir", envvar="NUANXIN_STATE_DIR", help="Local stack folder.")
]
DEFAULT_STATE = Path(".nuanxin")


def load_env_file(state_dir: Path) -> None:
    """Export stack.env into this process; variables already set win."""
    env_file = state_dir / "stack.env"
    if env_file.exists():
        for line in env_file.read_text().splitlines():
            name, sep, value = line.partition("=")
            if sep and name.startswith("NUANXIN_"):
                os.environ.setdefault(name, value)


def settings_for(state_dir: Path) -> Settings:
    load_env_file(state_dir)
    return Settings()


@stack_app.command("up")
def stack_up(state_dir: StateDir = DEFAULT_STATE) -> None:
    """Start redis-server, PostgreSQL and the broker on free loopback ports."""
    from engine.stack.local import LocalStack
    from engine.stack.processes import StackError

    try:
        LocalStack(state_dir, log=console.print).up()
    except StackError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None


@stack_app.command("down")
def stack_down(state_dir: StateDir = DEFAULT_STATE) -> None:
    """Stop exactly the processes `stack up` started."""
    from engine.stack.local import LocalStack

    LocalStack(state_dir, log=console.print).down()


@stack_app.command("status")
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


@app.command()
def api(
    port: int = 8080,
    host: str = "127.0.0.1",
    processes: Annotated[int, typer.Option(help="uvicorn worker processes")] = 1,
    state_dir: StateDir = DEFAULT_STATE,
) -> None:
    """Serve the HTTP API against the configured services."""
    import uvicorn

    load_env_file(state_dir)
    uvicorn.run(
        "engine.api.main:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=processes,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=10,
        # Phones and tills reuse connections between taps; keep them longer than the default 5 s.
        timeout_keep_alive=30,
    )


@app.command()
def stream(
    role: Annotated[
        str, typer.Option(help="core: issue, ledger, timers; windows: live counts")
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


@app.command()
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


codes_app = typer.Typer(no_args_is_help=True, help="Voucher codes.")
app.add_typer(codes_app, name="codes")
keys_app = typer.Typer(no_args_is_help=True, help="Code-signing keys.")
app.add_typer(keys_app, name="keys")
ledger_app = typer.Typer(no_args_is_help=True, help="The merchants' ledger.")
app.add_typer(ledger_app, name="ledger")


@codes_app.command("verify")
def codes_verify(
    code: str,
    keys: Annotated[Path, typer.Option(help="the document GET /v1/keys publishes")],
) -> None:
    """Check a code offline against published public keys; exit 1 if it is not genuine."""
    from engine.domain.codes import verify_code
    from engine.domain.keyring import public_keys_from_document
    from engine.errors import InvalidCode

    try:
        payload = verify_code(code, public_keys_from_document(json.loads(keys.read_text())))
    except InvalidCode:
        console.print("[red]not a genuine voucher code[/red]")
        raise typer.Exit(1) from None
    print(
        json.dumps(
            {
                "genuine": True,
                "key_id": payload.key_id,
                "campaign_number": payload.campaign_number,
                "serial": payload.serial,
                "expires_at": payload.expires_at,
            }
        )
    )


@keys_app.command("rotate")
def keys_rotate(state_dir: StateDir = DEFAULT_STATE) -> None:
    """Add a signing key and make it the active one; old keys keep verifying.

    Running API and stream processes read the key file at start: restart them.
    """
    import asyncio

    from engine.cli.operations import audit_cli
    from engine.keyfiles import load_keyring, write_secret

    settings = settings_for(state_dir)
    path = settings.signing_keys_file
    before = load_keyring(path)
    ring = before.rotated()
    write_secret(path, ring.to_json())
    asyncio.run(
        audit_cli(
            settings,
            "signing_keys.rotate",
            "signing-keys",
            {"active_key_id": before.active_key_id},
            {"active_key_id": ring.active_key_id},
        )
    )
    console.print(f"key {ring.active_key_id} now signs; {len(ring.private_keys)} keys verify")


@ledger_app.command("verify")
def ledger_verify(
    merchant: Annotated[str | None, typer.Option(help="one merchant (default: all)")] = None,
    state_dir: StateDir = DEFAULT_STATE,
) -> None:
    """Recompute every hash chain; report the first broken link and exit 1 if there is one."""
    import asyncio

    from engine.cli.ledger import verify_chains

    result = asyncio.run(verify_chains(settings_for(state_dir), merchant))
    print(json.dumps(result))
    if result["broken"] is not None:
        raise typer.Exit(1)


@app.command("keys-init")
def keys_init(directory: Path) -> None:
    """Create the code-signing keys, the worker-token key and the event keys in DIRECTORY,
    if missing."""
    from engine.keyfiles import create_key_files

    create_key_files(directory)
    console.print(f"keys in {directory} (keep them out of version control)")


@app.command()
def schemas(out: Path = Path("schemas")) -> None:
    """Write the OpenAPI document and the event JSON Schemas derived from the code."""
    from engine.api.app import create_app
    from engine.events import EVENT_TYPES, json_schema

    (out / "events").mkdir(parents=True, exist_ok=True)
    (out / "openapi.json").write_text(render_json(create_app(Settings()).openapi()))
    for name in EVENT_TYPES:
        (out / "events" / f"{name}.json").write_text(render_json(json_schema(name)))
    console.print(f"wrote {out}/openapi.json and {len(EVENT_TYPES)} event schemas")


def render_json(doc: dict) -> str:
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@app.command()
def up(port: int = 8080, processes: int = 1, state_dir: StateDir = DEFAULT_STATE) -> None:
    """Run the stack, the API and the stream workers in the foreground until Ctrl-C."""
    stack_up(state_dir)
    children = start_engine(state_dir, port, processes)
    wait_healthy(f"http://127.0.0.1:{port}", children)
    console.print(f"API on http://127.0.0.1:{port}  (Ctrl-C stops everything)")
    try:
        while all(c.poll() is None for c in children):
            time.sleep(0.5)
        console.print("[red]a component exited; stopping[/red]")
    except KeyboardInterrupt:
        pass
    finally:
        stop_engine(children)
        stack_down(state_dir)


@app.command()
def demo(
    workers: Annotated[int, typer.Option(help="simulated workers in the claim burst")] = 10_000,
    concurrency: Annotated[int, typer.Option(help="requests in flight")] = 64,
    port: int = 0,
    processes: int = 1,
    windows: Annotated[
        bool, typer.Option(help="also run the live-window workers (they share the 2 cores)")
    ] = False,
    state_dir: StateDir = DEFAULT_STATE,
) -> None:
    """Start everything, run the Spring Festival programmes' burst, check the books, stop."""
    import asyncio

    from engine.demo.runner import Demo
    from engine.stack.local import LocalStack
    from engine.stack.processes import free_port

    stack = LocalStack(state_dir, log=console.print)
    started_stack = not stack.status() or not all(s["running"] for s in stack.status())
    stack_up(state_dir)
    port = port or free_port()
    children = start_engine(state_dir, port, processes, windows)
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_healthy(base_url, children)
        report = asyncio.run(
            Demo(settings_for(state_dir), base_url, workers, concurrency, Console()).run()
        )
    finally:
        stop_engine(children)
        if started_stack:
            stack.down()
    if not report.ok:
        console.print("[red]a check failed[/red]")
        raise typer.Exit(1)


@app.command()
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


@app.command()
def bench(
    scenario: Annotated[str, typer.Argument(help="claim_burst, redeem or mixed")] = "claim_burst",
    workers: Annotated[
        int, typer.Option(help="distinct workers (one claim attempt each)")
    ] = 250_000,
    quota: Annotated[int, typer.Option(help="the hot campaign's quota")] = 200_000,
    codes: Annotated[int, typer.Option(help="issued codes to redeem (redeem, mixed)")] = 30_000,
    processes: Annotated[int, typer.Option(help="API (and baseline) processes")] = 1,
    users: Annotated[int, typer.Option(help="locust users (requests in flight)")] = 64,
    locust_processes: Annotated[int, typer.Option(help="locust worker processes")] = 1,
    generators: Annotated[str, typer.Option(help="comma-separated: locust,wrk")] = "locust,wrk",
    compare: Annotated[bool, typer.Option(help="also run the ceiling and PostgreSQL-only")] = True,
    compare_workers: Annotated[int, typer.Option(help="workers per baseline run")] = 60_000,
    wrk_seconds: int = 10,
    claims_per_s: Annotated[
        float, typer.Option(help="pace locust's claims to this rate (p99 at a share of peak)")
    ] = 0,
    smoke: Annotated[bool, typer.Option(help="a few seconds, small quota (CI)")] = False,
    min_claims_per_s: float = 0,
    max_claim_p99_ms: float = 0,
    min_ceiling_share: float = 0,
    min_vs_postgres: float = 0,
    min_redemptions_per_s: float = 0,
    max_redeem_p99_ms: float = 0,
    out: Annotated[Path, typer.Option(help="report folder")] = Path("bench-results"),
    state_dir: StateDir = Path(".nuanxin-bench"),
) -> None:
    """Start everything, run a scenario against the engine and its baselines, check, report.

    Exits 1 if a correctness check fails or a threshold given here is missed.
    """
    import asyncio

    from engine.bench.report import print_report, write_chart, write_json
    from engine.bench.runner import SCENARIOS, Bench, BenchOptions, Thresholds
    from engine.stack.local import LocalStack
    from engine.stack.processes import free_port

    if scenario not in SCENARIOS:
        raise typer.BadParameter(f"choose one of {', '.join(SCENARIOS)}", param_hint="SCENARIO")
    if smoke:
        workers, quota, codes, compare_workers, wrk_seconds = 3000, 2000, 1000, 3000, 2
    options = BenchOptions(
        scenario=scenario,
        workers=workers,
        quota=quota,
        codes=min(codes, workers),
        merchant_keys=5 if smoke else 50,
        api_processes=processes,
        users=min(users, 32) if smoke else users,
        locust_processes=locust_processes,
        generators=tuple(g.strip() for g in generators.split(",") if g.strip()),
        compare=compare,
        compare_workers=compare_workers,
        wrk_seconds=wrk_seconds,
        claims_per_s=claims_per_s,
        thresholds=Thresholds(
            min_claims_per_s,
            max_claim_p99_ms,
            min_ceiling_share,
            min_vs_postgres,
            min_redemptions_per_s,
            max_redeem_p99_ms,
        ),
    )
    stack = LocalStack(state_dir, log=console.print)
    started_stack = not stack.status() or not all(s["running"] for s in stack.status())
    stack_up(state_dir)
    port = free_port()
    children = start_engine(state_dir, port, processes, windows=False)
    out_console = Console()
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_healthy(base_url, children)
        groups = {"api": [children[-1].pid], "stream": [children[0].pid]}
        groups |= {s["name"]: [s["pid"]] for s in stack.status()}
        stream = _StreamControl(state_dir, children)
        bench = Bench(settings_for(state_dir), base_url, options, groups, out, out_console, stream)
        report = asyncio.run(bench.run())
    finally:
        stop_engine(children)
        if started_stack:
            stack.down()
    print_report(report, out_console)
    write_json(report, out / "report.json")
    if write_chart(report, out / "burst.png"):
        out_console.print(f"report: {out}/report.json, chart: {out}/burst.png")
    if not report.ok:
        console.print("[red]a correctness check failed or a threshold was missed[/red]")
        raise typer.Exit(1)


@workers_app.command("import")
def workers_import(
    csv_file: Path,
    report: Annotated[Path | None, typer.Option(help="where to write rejected rows")] = None,
    state_dir: StateDir = DEFAULT_STATE,
) -> None:
    """Import worker profiles from CSV (id, category, profile columns); idempotent."""
    import asyncio

    from engine.cli.importing import run_import

    settings = settings_for(state_dir)
    summary = asyncio.run(run_import(settings, csv_file, report, Console(stderr=True)))
    print(json.dumps(summary))


@lottery_app.command("draw")
def lottery_draw(campaign_id: str, state_dir: StateDir = DEFAULT_STATE) -> None:
    """Commit the registrant list if needed, then draw and admit the winners (progress bar)."""
    import asyncio

    from engine.cli.operations import draw_lottery

    doc = asyncio.run(draw_lottery(settings_for(state_dir), campaign_id, Console(stderr=True)))
    print(
        json.dumps(
            {k: doc[k] for k in ("campaign_id", "state", "commitment", "seed_hex")}
            | {"winners": len(doc["winners"] or [])}
        )
    )


@lottery_app.command("verify")
def lottery_verify(published: Path) -> None:
    """Re-run a draw from its published document (GET /v1/campaigns/{id}/lottery)."""
    from engine.domain import lottery

    doc = json.loads(published.read_text())
    if doc.get("seed_hex") is None:
        console.print("[red]the draw has not happened yet: no seed is published[/red]")
        raise typer.Exit(2)
    problems = lottery.verify(
        bytes.fromhex(doc["seed_hex"]),
        doc["commitment"],
        doc["registrants"],
        doc["registrants_digest"],
        doc["stock"],
        doc["winners"],
    )
    for problem in problems:
        console.print(f"[red]{problem}[/red]")
    if problems:
        raise typer.Exit(1)
    console.print(
        f"verified: {len(doc['winners'])} winners of {len(doc['registrants'])} "
        "registrants follow from the published seed"
    )


def wait_healthy(base_url: str, children: list[subprocess.Popen], timeout_s: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if any(c.poll() is not None for c in children):
            raise RuntimeError("a component exited during start-up; see the logs folder")
        try:
            if httpx.get(base_url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the API at {base_url} did not become healthy")


def start_engine(
    state_dir: Path, port: int, processes: int, windows: bool = True
) -> list[subprocess.Popen]:
    """Start the API and the stream workers as child processes of this one."""
    out = [start_stream(state_dir)]
    if windows:
        windows_args = ["stream", "--role", "windows", "--state-dir", str(state_dir)]
        out.append(_spawn(state_dir, "windows", windows_args))
    api_args = ["api", "--port", str(port), "--processes", str(processes)]
    out.append(_spawn(state_dir, "api", [*api_args, "--state-dir", str(state_dir)]))
    return out


class _StreamControl:
    """Lets the benchmark stop the core stream worker and start a fresh one."""

    def __init__(self, state_dir: Path, children: list[subprocess.Popen]) -> None:
        self.state_dir, self.children = state_dir, children

    def stop(self) -> None:
        stop_engine(self.children[:1])

    def start(self) -> int:
        self.children[0] = start_stream(self.state_dir)
        return self.children[0].pid


def start_stream(state_dir: Path) -> subprocess.Popen:
    """The core stream worker (issue, ledger, timers) as a child process."""
    return _spawn(state_dir, "stream", ["stream", "--state-dir", str(state_dir)])


def _spawn(state_dir: Path, name: str, args: list[str]) -> subprocess.Popen:
    logs = state_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / f"{name}.log", "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "engine.cli.main", *args], stdout=log, stderr=subprocess.STDOUT
        )


def stop_engine(children: list[subprocess.Popen]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


if __name__ == "__main__":
    app()
