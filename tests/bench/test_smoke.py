"""The burst benchmark in its smoke form: its own stack, engine and baselines, real load.

Only correctness is asserted (a change that breaks a promise under concurrency fails
here); the figures are printed by `nuanxin bench` and kept in docs/BENCHMARKS.md.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def _bench(tmp_path, *args):
    """Run `nuanxin bench <args> --smoke` in its own state; its report."""
    out = tmp_path / "out"
    argv = [
        sys.executable, "-m", "engine.cli.main", "bench", *args, "--smoke",
        "--state-dir", str(tmp_path / "state"), "--out", str(out),
    ]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=560, check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return json.loads((out / "report.json").read_text())


@pytest.mark.timeout(600)
def test_claim_burst_smoke_keeps_every_promise(tmp_path):
    report = _bench(tmp_path, "claim_burst")
    checks = report["books"]["checks"]
    assert all(checks.values()), checks
    # Every run took place and every promise was looked at, for the engine and the baseline.
    runs = {(r["target"], r["generator"]) for r in report["runs"]}
    assert runs == {
        (target, generator)
        for target in ("engine", "ceiling", "postgres-only", "postgres-16-rows")
        for generator in ("locust", "wrk")
    } | {("engine, stream stopped", "wrk"), ("engine, seed burst", "wrk")}
    for promise in ("admitted ==", "no oversell", "no duplicate codes", "every code verifies"):
        assert any(name.startswith(promise) for name in checks), promise
    assert any(name.startswith("PostgreSQL-only: no oversell") for name in checks)
    assert any(name.startswith("PostgreSQL-only, 16 rows: no oversell") for name in checks)
    # The seed burst: a quota below the crowd, never oversold, each voucher issued once.
    for promise in ("no oversell", "vouchers in PostgreSQL == admitted", "no duplicate codes"):
        assert any(name.startswith(f"seed run: {promise}") for name in checks), promise
    # The backlog built while the stream worker was stopped was issued, exactly.
    assert any(name.startswith("drain run: vouchers in PostgreSQL == admitted") for name in checks)
    engine = next(r for r in report["runs"] if r["target"] == "engine")
    assert engine["endpoints"]["claim"]["requests"] >= 3000
    assert not engine["errors"]


@pytest.mark.timeout(600)
def test_redeem_smoke_pinned_and_profiled_against_the_bare_redemption(tmp_path):
    report = _bench(tmp_path, "redeem", "--pin", "--profile", "--generators", "wrk")
    out = tmp_path / "out"
    checks = report["books"]["checks"]
    assert all(checks.values()), checks
    runs = {r["target"]: r for r in report["runs"]}
    assert set(runs) == {"engine", "redemption ceiling"}
    assert any(name.startswith("wrk run: no voucher redeemed twice") for name in checks)
    # The bare redemption redeemed for real: its script counted what it answered.
    assert any(name.startswith("redemption ceiling: redeemed in Redis") for name in checks)
    assert runs["redemption ceiling"]["statuses"].get("201", 0) > 0
    assert "engine / redemption ceiling (wrk)" in report["ratios"]
    # Pinned runs report each part's cost per unit of work, for the engine and the baseline.
    for run in runs.values():
        assert run["per_unit"]["API µs/request"] > 0, run["per_unit"]
    # A flame graph per profiled process of the engine's run, and none for the baseline.
    graphs = sorted(p.name for p in out.glob("flame-*.svg"))
    assert graphs == ["flame-engine-api-0.svg", "flame-engine-stream-0.svg"], graphs
    for graph in graphs:
        assert (out / graph).read_text().lstrip().startswith("<?xml"), graph
