"""The engine's own processes (the API and the stream workers) as children of this one.

One supervisor for `nuanxin up`, `demo` and `bench` and for the tests that kill and
restart a process: each is `python -m engine.cli.main <command>`, logging to its own file.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from engine.stack.processes import free_port


class EngineProcesses:
    def __init__(
        self,
        logs: Path,
        env: Mapping[str, str] | None = None,
        cli_args: tuple[str, ...] = (),
        port: int = 0,
    ) -> None:
        """`env` replaces the environment of the children (None: inherit this one's);
        `cli_args` go after every command (for example --state-dir)."""
        self.logs, self.env, self.cli_args = logs, dict(env) if env else None, cli_args
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.api: subprocess.Popen[bytes] | None = None
        self.stream: subprocess.Popen[bytes] | None = None
        self.windows: subprocess.Popen[bytes] | None = None
        self._stream_starts = 0

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        self.logs.mkdir(parents=True, exist_ok=True)
        with open(self.logs / f"{name}.log", "ab") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "engine.cli.main", *args, *self.cli_args],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    def start_api(self, processes: int = 1, timeout_s: float = 60, server: str = "uvicorn") -> None:
        """Start the API and return once it answers /healthz."""
        args = ["api", "--port", str(self.port), "--processes", str(processes), "--server", server]
        self.api = self._spawn("api", args)
        self.wait_healthy(timeout_s)

    def start_stream(self) -> int:
        """The core stream worker (issue, ledger, timers); a restart logs to a new file.
        Returns its process id."""
        self._stream_starts += 1
        name = "stream" if self._stream_starts == 1 else f"stream-{self._stream_starts}"
        self.stream = self._spawn(name, ["stream"])
        return self.stream.pid

    def start_windows(self) -> None:
        self.windows = self._spawn("windows", ["stream", "--role", "windows"])

    def wait_healthy(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.api is None or self.api.poll() is not None:
                raise RuntimeError(f"the API exited during start-up; see {self.logs}")
            try:
                if httpx.get(self.base_url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the API at {self.base_url} did not become healthy; see {self.logs}")

    def children(self) -> list[subprocess.Popen[bytes]]:
        return [p for p in (self.stream, self.windows, self.api) if p is not None]

    def all_running(self) -> bool:
        return all(p.poll() is None for p in self.children())

    def kill_api(self) -> None:
        """SIGKILL: whatever the API was doing stays half done."""
        _kill(self.api)

    def kill_stream(self) -> None:
        """SIGKILL: no chance to commit offsets or finish a batch."""
        _kill(self.stream)

    def stop_stream(self) -> None:
        _stop([self.stream] if self.stream else [])

    def stop(self) -> None:
        _stop(self.children())


def _kill(proc: subprocess.Popen[bytes] | None) -> None:
    assert proc is not None, "not started"
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
