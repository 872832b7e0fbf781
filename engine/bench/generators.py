"""Run a load generator (locust headless, or wrk with a Lua script) and read its figures."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

LOADTEST = Path(__file__).resolve().parents[2] / "loadtest"
WRK_THREADS = 2


@dataclass
class Endpoint:
    requests: int
    failures: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float


@dataclass
class LoadFigures:
    generator: str
    target: str
    elapsed_s: float = 0.0
    endpoints: dict[str, Endpoint] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    # (seconds since start, requests/s, p50 ms, p99 ms) once a second (locust only)
    history: list[tuple[float, float, float, float]] = field(default_factory=list)
    started_at: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)
    per_unit: dict[str, float] = field(default_factory=dict)  # engine/bench/per_unit.py

    @property
    def total(self) -> Endpoint:
        return self.endpoints["all"]


def run_locust(
    host: str,
    plan: Path,
    user_classes: list[str],
    users: int,
    processes: int,
    max_seconds: int,
    out_prefix: Path,
    spawn_seconds: float = 1.0,
) -> LoadFigures:
    """Run until every user's slice is spent (or max_seconds); figures from locust's CSVs."""
    argv = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOADTEST / "locustfile.py"),
        *user_classes,
        "--headless",
        "-u",
        str(users),
        "-r",
        f"{users / spawn_seconds:g}",
        "-t",
        f"{max_seconds}s",
        "--host",
        host,
        "--csv",
        str(out_prefix),
        "--csv-full-history",
        "--only-summary",
        "--stop-timeout",
        "10",
        "--exit-code-on-error",
        "0",
    ]
    if processes > 1:
        argv += ["--processes", str(processes)]
    env = os.environ | {"NUANXIN_BENCH_PLAN": str(plan)}
    log = out_prefix.with_suffix(".log")
    with log.open("wb") as sink:
        done = subprocess.run(argv, check=False, env=env, stdout=sink, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        raise RuntimeError(f"locust exited with {done.returncode}; see {log}")
    return read_locust_csv(out_prefix)


def read_locust_csv(prefix: Path) -> LoadFigures:
    figures = LoadFigures("locust", "")
    with open(f"{prefix}_stats.csv") as f:
        for row in csv.DictReader(f):
            name = "all" if row["Name"] == "Aggregated" else row["Name"]
            figures.endpoints[name] = Endpoint(
                requests=int(row["Request Count"]),
                failures=int(row["Failure Count"]),
                rps=float(row["Requests/s"]),
                p50_ms=_ms(row["50%"]),
                p95_ms=_ms(row["95%"]),
                p99_ms=_ms(row["99%"]),
            )
    with open(f"{prefix}_failures.csv") as f:
        for row in csv.DictReader(f):
            error = row["Error"].removeprefix("CatchResponseError(").strip("')\"")
            figures.errors[f"{row['Name']}: {error}"] = int(row["Occurrences"])
    with open(f"{prefix}_stats_history.csv") as f:
        rows = [r for r in csv.DictReader(f) if r["Name"] == "Aggregated"]
    if rows:
        # Rates from the cumulative count: locust's own "Requests/s" column trails by seconds.
        figures.started_at = float(rows[0]["Timestamp"])
        previous_t, previous_n = figures.started_at, 0
        for r in rows:
            t, n = float(r["Timestamp"]), int(r["Total Request Count"])
            rate = (n - previous_n) / (t - previous_t) if t > previous_t else 0.0
            figures.history.append((t - figures.started_at, rate, _ms(r["50%"]), _ms(r["99%"])))
            previous_t, previous_n = t, n
        busy = [t for t, rps, *_ in figures.history if rps > 0]
        figures.elapsed_s = (busy[-1] - busy[0] + 1) if busy else 0.0
    return figures


def _ms(value: str) -> float:
    return 0.0 if value in ("", "N/A") else float(value)


@dataclass(frozen=True)
class WrkScenario:
    """A wrk script in loadtest/, what it reads from the environment, and the answers it
    expects (anything else counts as a failure)."""

    script: str
    env: dict[str, str]
    expected: frozenset[str]
    name: str


def claims_scenario(tokens: Path, campaign_id: str) -> WrkScenario:
    env = {"BENCH_TOKENS": str(tokens), "BENCH_CAMPAIGN": campaign_id}
    return WrkScenario("claim.lua", env, frozenset({"201", "409", "410"}), "claim")


def redemptions_scenario(codes: Path, merchant_keys: list[str]) -> WrkScenario:
    env = {"BENCH_CODES": str(codes), "BENCH_KEYS": ",".join(merchant_keys)}
    return WrkScenario("redeem.lua", env, frozenset({"201", "409"}), "redeem")


def run_wrk(host: str, scenario: WrkScenario, seconds: int, connections: int) -> LoadFigures:
    threads = WRK_THREADS
    env = (
        os.environ
        | scenario.env
        | {
            "BENCH_THREADS": str(threads),
            "BENCH_LUA_DIR": str(LOADTEST),
        }
    )
    argv = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(LOADTEST / scenario.script),
        host,
    ]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{done.stdout}\n{done.stderr}")
    doc = json.loads(line.removeprefix("WRKJSON "))
    elapsed = doc["duration_us"] / 1e6
    statuses = {str(k): v for k, v in doc["statuses"].items()}
    unexpected = {k: v for k, v in statuses.items() if k not in scenario.expected}
    figures = LoadFigures("wrk", "", elapsed_s=elapsed, statuses=statuses)
    figures.endpoints["all"] = Endpoint(
        requests=doc["requests"],
        failures=doc["errors"] + sum(unexpected.values()),
        rps=doc["requests"] / elapsed,
        p50_ms=doc["p50_us"] / 1000,
        p95_ms=doc["p95_us"] / 1000,
        p99_ms=doc["p99_us"] / 1000,
    )
    if doc["errors"]:
        figures.errors["socket errors"] = doc["errors"]
    for status, count in unexpected.items():
        figures.errors[f"{scenario.name}: {status}"] = count
    return figures
