"""What a benchmark asked for and what it found: options, thresholds, the report, and the
judgement of the figures against the same run's baselines (pure logic)."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.bench.baselines import POSTGRES_16, REDEMPTION_CEILING
from engine.bench.checks import Books
from engine.bench.generators import Endpoint, LoadFigures


@dataclass
class Thresholds:
    min_claims_per_s: float = 0
    max_claim_p99_ms: float = 0
    min_ceiling_share: float = 0
    min_vs_postgres: float = 0
    min_redemptions_per_s: float = 0
    max_redeem_p99_ms: float = 0


@dataclass
class BenchOptions:
    scenario: str = "claim_burst"
    workers: int = 250_000
    quota: int = 200_000
    codes: int = 30_000
    merchant_keys: int = 50
    api_processes: int = 1
    stream_workers: int = 1
    redis_cluster: int = 0  # masters of a local Redis Cluster (0: one Redis)
    server: str = "uvicorn"  # the engine's and the baselines' HTTP server
    users: int = 64
    locust_processes: int = 1
    generators: tuple[str, ...] = ("locust", "wrk")
    compare: bool = True
    compare_workers: int = 60_000
    wrk_seconds: int = 10
    wrk_connections: int = 64
    max_seconds: int = 900
    claims_per_s: float = 0  # pace the locust claim users to this total rate (0: flat out)
    pin: bool = False  # the API (or a baseline) on core 0, everything else on core 1
    profile: bool = False  # flame graphs of the engine's processes in each engine run
    thresholds: Thresholds = field(default_factory=Thresholds)


@dataclass
class BenchReport:
    options: BenchOptions
    runs: list[LoadFigures] = field(default_factory=list)
    books: Books = field(default_factory=Books)
    ratios: dict[str, float] = field(default_factory=dict)
    missed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.books.ok and not self.missed

    def run(self, generator: str, target: str) -> LoadFigures | None:
        return next((r for r in self.runs if r.generator == generator and r.target == target), None)


def judge(bench_report: BenchReport) -> None:
    """Ratios against the baselines of the same generator; thresholds missed, by name."""
    t = bench_report.options.thresholds
    for generator in bench_report.options.generators:
        engine = bench_report.run(generator, "engine")
        for base in ("ceiling", REDEMPTION_CEILING, "postgres-only", POSTGRES_16):
            other = bench_report.run(generator, base)
            if engine and other and other.total.rps:
                bench_report.ratios[f"engine / {base} ({generator})"] = (
                    engine.total.rps / other.total.rps
                )
    burst = bench_report.run("locust", "engine") or bench_report.run("wrk", "engine")
    claim = burst.endpoints.get("claim", burst.total) if burst else None
    redeem = _redemptions(bench_report)
    share = next((v for k, v in bench_report.ratios.items() if "ceiling" in k), None)
    versus = next((v for k, v in bench_report.ratios.items() if "postgres" in k), None)
    wanted: list[tuple[float, float | None, str, str]] = [
        (t.min_claims_per_s, claim.rps if claim else None, ">=", "claims/s"),
        (t.max_claim_p99_ms, claim.p99_ms if claim else None, "<=", "claim p99 ms"),
        (t.min_ceiling_share, share, ">=", "share of the ceiling"),
        (t.min_vs_postgres, versus, ">=", "times the PostgreSQL-only alternative"),
        (t.min_redemptions_per_s, redeem.rps if redeem else None, ">=", "redemptions/s"),
        (t.max_redeem_p99_ms, redeem.p99_ms if redeem else None, "<=", "redemption p99 ms"),
    ]
    for limit, value, op, what in wanted:
        if not limit:
            continue
        if value is None or (value < limit if op == ">=" else value > limit):
            bench_report.missed.append(f"{what}: {_fmt(value)} (wanted {op} {limit:g})")


def _redemptions(bench_report: BenchReport) -> Endpoint | None:
    """The redemption figures of the faster generator (wrk runs only redemptions in the
    redeem scenario; locust mixes in verifications)."""
    found = [run.endpoints.get("redeem") for run in bench_report.runs if run.target == "engine"]
    if bench_report.options.scenario == "redeem" and (wrk := bench_report.run("wrk", "engine")):
        found.append(wrk.total)
    return max((e for e in found if e), key=lambda e: e.rps, default=None)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.2f}"
