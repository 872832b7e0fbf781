"""The benchmark's one summary: a table on the console, a JSON file and a chart (PNG)."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path

from rich.console import Console
from rich.table import Table

from engine.bench.judgement import BenchReport


def print_report(report: BenchReport, console: Console) -> None:
    runs = Table(title="load (requests/s; latency ms)")
    for column in ("target", "generator", "endpoint", "requests", "req/s", "p50", "p95", "p99"):
        runs.add_column(column, justify="right" if column not in ("target", "endpoint") else "left")
    runs.add_column("failures", justify="right")
    for r in report.runs:
        for name, e in r.endpoints.items():
            runs.add_row(
                r.target,
                r.generator,
                name,
                f"{e.requests:,}",
                f"{e.rps:,.0f}",
                _ms(e.p50_ms),
                _ms(e.p95_ms),
                _ms(e.p99_ms),
                f"{e.failures:,}",
            )
    console.print(runs)

    cpu = Table(title="CPU (share of one core over each run; the machine has 2)")
    groups = sorted({g for r in report.runs for g in r.cpu})
    cpu.add_column("run")
    for g in groups:
        cpu.add_column(g, justify="right")
    for r in report.runs:
        cpu.add_row(f"{r.target} / {r.generator}", *(f"{r.cpu.get(g, 0):.2f}" for g in groups))
    console.print(cpu)

    units = sorted({u for r in report.runs for u in r.per_unit})
    if units:
        pinned = "; API pinned to core 0, the rest to core 1" if report.options.pin else ""
        cost = Table(title=f"per unit of work (µs of CPU; bytes of Redis memory{pinned})")
        cost.add_column("part / unit")
        for r in report.runs:
            cost.add_column(f"{r.target} / {r.generator}", justify="right")
        for u in units:
            cost.add_row(
                u, *(f"{r.per_unit[u]:,.1f}" if u in r.per_unit else "-" for r in report.runs)
            )
        console.print(cost)

    errors = {
        f"{r.target} / {r.generator}: {k}": v for r in report.runs for k, v in r.errors.items()
    }
    summary = Table(title="outcome", show_header=False)
    for name, value in report.books.figures.items():
        summary.add_row(name, f"{value:,.1f}")
    for name, value in report.ratios.items():
        summary.add_row(name, f"{value:.2f}x")
    for name, count in errors.items():
        summary.add_row(f"errors {name}", f"{count:,}")
    if not errors:
        summary.add_row("errors (anything but the expected answers)", "none")
    for name, passed in report.books.checks.items():
        summary.add_row(name, "[green]yes[/green]" if passed else "[red]NO[/red]")
    for missed in report.missed:
        summary.add_row("[red]threshold missed[/red]", missed)
    console.print(summary)


def write_json(report: BenchReport, path: Path) -> None:
    doc = asdict(report)
    for run in doc["runs"]:
        run.pop("history")
    path.write_text(json.dumps(doc, indent=2, default=str) + "\n")


def write_chart(report: BenchReport, path: Path) -> bool:
    """Throughput and latency of the engine's locust run over time, and vouchers persisted."""
    run = report.run("locust", "engine")
    if run is None or not run.history:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = [h[0] for h in run.history]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    top.plot(t, [h[1] for h in run.history], label="requests/s answered (locust)")
    issued = report.books.issued_per_s
    if issued:
        top.plot(range(len(issued)), issued, label="vouchers persisted/s (PostgreSQL)")
    top.set_ylabel("per second")
    top.legend(loc="upper right")
    o = report.options
    shape = f", Redis Cluster of {o.redis_cluster}" if o.redis_cluster else ""
    top.set_title(f"nuanxin bench {o.scenario}: {o.workers:,} workers{shape}")
    bottom.plot(t, [h[2] for h in run.history], label="p50 (locust's recent window)")
    bottom.plot(t, [h[3] for h in run.history], label="p99 (locust's recent window)")
    bottom.set_ylabel("latency (ms)")
    bottom.set_xlabel("seconds since the first request")
    bottom.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:,.1f}"
