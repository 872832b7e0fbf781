"""The benchmark's judgement: ratios and thresholds (pure logic over measured figures)."""

from __future__ import annotations

from engine.bench.checks import Books
from engine.bench.generators import Endpoint, LoadFigures
from engine.bench.judgement import BenchOptions, BenchReport, Thresholds, judge


def _run(target: str, rps: float, p99: float, generator: str = "wrk") -> LoadFigures:
    figures = LoadFigures(generator, target)
    figures.endpoints["all"] = Endpoint(1000, 0, rps, 10.0, 20.0, p99)
    return figures


def _report(thresholds: Thresholds) -> BenchReport:
    report = BenchReport(BenchOptions(generators=("wrk",), thresholds=thresholds))
    report.runs = [
        _run("engine", 1600, 80),
        _run("ceiling", 4000, 40),
        _run("postgres-only", 800, 150),
    ]
    report.books = Books(checks={"no oversell": True})
    return report


def test_ratios_compare_the_engine_with_each_baseline_of_the_same_generator():
    report = _report(Thresholds())
    judge(report)
    assert report.ratios == {"engine / ceiling (wrk)": 0.4, "engine / postgres-only (wrk)": 2.0}
    assert report.ok


def test_a_missed_threshold_fails_the_run_and_says_which():
    report = _report(Thresholds(min_ceiling_share=0.8, max_claim_p99_ms=50, min_vs_postgres=1.5))
    judge(report)
    assert not report.ok
    assert len(report.missed) == 2
    assert report.missed[0].startswith("claim p99 ms: 80.00")
    assert report.missed[1].startswith("share of the ceiling: 0.40")


def test_a_failed_check_fails_the_run_even_without_thresholds():
    report = _report(Thresholds())
    report.books.checks["vouchers == admitted"] = False
    judge(report)
    assert not report.ok


def test_redemptions_are_judged_by_the_faster_generator():
    options = BenchOptions(
        scenario="redeem",
        generators=("locust", "wrk"),
        thresholds=Thresholds(min_redemptions_per_s=1000, max_redeem_p99_ms=100),
    )
    report = BenchReport(options)
    locust = _run("engine", 800, 300, generator="locust")
    locust.endpoints["redeem"] = Endpoint(1000, 0, 680, 60.0, 120.0, 330)
    report.runs = [locust, _run("engine", 1300, 420)]  # wrk: redemptions only
    judge(report)
    assert report.missed == ["redemption p99 ms: 420.00 (wanted <= 100)"]


def test_the_command_line_becomes_options_and_a_smoke_run_is_small():
    import typer
    from typer.main import get_command

    from engine.cli.bench import bench, bench_options

    app = typer.Typer()
    app.command()(bench)
    command = get_command(app)
    with command.make_context("bench", ["redeem", "--min-claims-per-s", "900", "--smoke"]) as ctx:
        options = bench_options(ctx.params)
    assert options.scenario == "redeem" and options.workers == 3000 and options.codes == 1000
    assert options.thresholds.min_claims_per_s == 900 and options.merchant_keys == 5
    args = ["claim_burst", "--codes", "999999", "--wrk-connections", "256"]
    with command.make_context("bench", args) as ctx:
        options = bench_options(ctx.params)
    assert options.workers == 250_000 and options.codes == 250_000
    assert options.wrk_connections == 256
    assert options.generators == ("locust", "wrk")
    with command.make_context("bench", ["nonsense"]) as ctx:
        try:
            bench_options(ctx.params)
        except typer.BadParameter as e:
            assert "claim_burst" in str(e)
        else:
            raise AssertionError("an unknown scenario was accepted")
