"""The API and stream worker as real processes, started the way `nuanxin up` starts them,
and `nuanxin reconcile` run the way an operator runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import asyncpg

from engine.settings import Settings
from engine.stack.engine_processes import EngineProcesses
from engine.stack.processes import free_port
from tests.conftest import Shape


class EngineUnderTest(EngineProcesses):
    """The engine's supervisor with the test stack's environment and a metrics port for
    one core stream worker (the first started while none holds it)."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.metrics_port = free_port()
        self.stream_metrics_url = f"http://127.0.0.1:{self.metrics_port}"
        self._metrics_holder: subprocess.Popen[bytes] | None = None
        super().__init__(logs, env={**os.environ, **env})

    def start_stream(self, extra_env: Mapping[str, str] | None = None) -> int:
        holder = self._metrics_holder
        port = 0 if holder is not None and holder.poll() is None else self.metrics_port
        pid = super().start_stream({**(extra_env or {}), "NUANXIN_STREAM_METRICS_PORT": str(port)})
        if port:
            self._metrics_holder = self.streams[-1]
        return pid


@contextmanager
def running(
    env: dict[str, str], logs: Path, shape: Shape, windows: bool = True
) -> Iterator[EngineUnderTest]:
    """The API, the core stream workers, the watch (and the windows role), stopped on exit."""
    procs = EngineUnderTest(env, logs)
    try:
        procs.start_api(processes=shape.api_processes, timeout_s=30)
        for _ in range(shape.stream_workers):
            procs.start_stream()
        if windows:
            procs.start_windows()
        procs.start_watch()
        yield procs
    finally:
        procs.stop()


@asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(
        settings.database_url.get_secret_value(), min_size=1, max_size=4
    )
    try:
        yield pool
    finally:
        await pool.close()


def reconcile(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`nuanxin reconcile` as an operator runs it, against the fault stack."""
    return subprocess.run(
        [sys.executable, "-m", "engine.cli.main", "reconcile", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def assert_reconciled(env: dict[str, str], *args: str) -> None:
    done = reconcile(env, *args)
    assert done.returncode == 0, f"reconcile found differences:\n{done.stdout}\n{done.stderr}"
    assert "differences: 0" in done.stderr
