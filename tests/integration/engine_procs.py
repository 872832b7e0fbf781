"""The API and stream worker as real processes, started the way `nuanxin up` starts them,
and `nuanxin reconcile` run the way an operator runs it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import asyncpg
import httpx

from engine.settings import Settings
from engine.stack.processes import free_port


class EngineProcesses:
    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = {**os.environ, **env}
        self.logs = logs
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.stream_metrics_url = f"http://127.0.0.1:{free_port()}"
        self.env["NUANXIN_STREAM_METRICS_PORT"] = self.stream_metrics_url.rsplit(":", 1)[1]
        self.api: subprocess.Popen | None = None
        self.stream: subprocess.Popen | None = None
        self.windows: subprocess.Popen | None = None
        self._stream_starts = 0

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        self.logs.mkdir(parents=True, exist_ok=True)
        with open(self.logs / f"{name}.log", "ab") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "engine.cli.main", *args],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    def start_api(self) -> None:
        self.api = self._spawn("api", ["api", "--port", str(self.port)])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.api.poll() is not None:
                raise RuntimeError(f"API exited; see {self.logs / 'api.log'}")
            try:
                if httpx.get(self.base_url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("API did not become healthy within 30 s")

    def start_stream(self) -> None:
        self._stream_starts += 1
        self.stream = self._spawn(f"stream-{self._stream_starts}", ["stream"])

    def start_windows(self) -> None:
        self.windows = self._spawn("windows", ["stream", "--role", "windows"])

    def kill_api(self) -> None:
        """SIGKILL: whatever the API was doing stays half done."""
        assert self.api is not None
        self.api.send_signal(signal.SIGKILL)
        self.api.wait(10)

    def kill_stream(self) -> None:
        """SIGKILL: no chance to commit offsets or finish a batch."""
        assert self.stream is not None
        self.stream.send_signal(signal.SIGKILL)
        self.stream.wait(10)

    def stop(self) -> None:
        for proc in (self.api, self.stream, self.windows):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in (self.api, self.stream, self.windows):
            if proc is None:
                continue
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextmanager
def running(env: dict[str, str], logs: Path, windows: bool = True) -> Iterator[EngineProcesses]:
    """The API and the core stream worker (and the windows role), stopped on exit."""
    procs = EngineProcesses(env, logs)
    try:
        procs.start_api()
        procs.start_stream()
        if windows:
            procs.start_windows()
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


def reconcile(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
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
