"""Fixtures shared by unit and integration tests, and the shape of the stack they run on.

By default the integration and fault tests run on one Redis, one API process and one core
stream worker. `--redis-cluster 3 --api-processes 2 --stream-workers 2` runs them on a
local Redis Cluster of three masters with two of each process (CI does both); tests that
only mean something in one shape carry the `redis_cluster` or `single_redis` mark.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Shape:
    redis_cluster: int  # masters (0: one plain Redis)
    api_processes: int
    stream_workers: int


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nuanxin", "the shape of the stack under test")
    group.addoption("--redis-cluster", type=int, default=0, help="Redis Cluster masters (0: one)")
    group.addoption("--api-processes", type=int, default=1, help="API server processes")
    group.addoption("--stream-workers", type=int, default=1, help="core stream workers")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "redis_cluster: only against a Redis Cluster")
    config.addinivalue_line("markers", "single_redis: only against one plain Redis")


def shape_of(config: pytest.Config) -> Shape:
    return Shape(
        config.getoption("--redis-cluster"),
        config.getoption("--api-processes"),
        config.getoption("--stream-workers"),
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test of the other shape is deselected (counted in the summary), never skipped
    silently: CI's two runs together run every one."""
    other = "single_redis" if shape_of(config).redis_cluster else "redis_cluster"
    kept = [i for i in items if other not in i.keywords]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if other in i.keywords])
        items[:] = kept


@pytest.fixture(scope="session")
def shape(pytestconfig: pytest.Config) -> Shape:
    return shape_of(pytestconfig)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


LOG_TAIL_LINES = 60


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """A failed test that ran the engine's processes shows the last lines of each one's
    log (they are kept in the run's temporary folder), so a CI failure says what the
    engine did."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    for name in ("engine", "fault_engine"):
        procs = getattr(item, "funcargs", {}).get(name)
        if procs is None:
            continue
        for log in sorted(procs.logs.glob("*.log")):
            lines = log.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]
            report.sections.append((f"{name}: {log} (last lines)", "\n".join(lines)))
