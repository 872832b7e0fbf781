"""The engine's own processes (the API and the stream workers) as children of this one.

One supervisor for `nuanxin up`, `demo` and `bench` and for the tests that kill and
restart a process: each is `python -m engine.cli.main <command>`, logging to its own file.
"""

from __future__ import annotations

import contextlib
import os
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
        # The core stream workers running, oldest first: they share the partitions.
        self.streams: list[subprocess.Popen[bytes]] = []
        self.windows: subprocess.Popen[bytes] | None = None
        self.watch: subprocess.Popen[bytes] | None = None
        self._stream_starts = 0
        self.api_processes, self.server = 1, "uvicorn"

    def _spawn(
        self, name: str, args: list[str], extra_env: Mapping[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        self.logs.mkdir(parents=True, exist_ok=True)
        env = self.env
        if extra_env:
            env = {**(env if env is not None else os.environ), **extra_env}
        with open(self.logs / f"{name}.log", "ab") as log:
            # A session of its own: a Ctrl-C at the terminal reaches the supervisor only,
            # which then stops each process in order (stop()).
            return subprocess.Popen(
                [sys.executable, "-m", "engine.cli.main", *args, *self.cli_args],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def start_api(
        self,
        processes: int | None = None,
        timeout_s: float = 60,
        server: str | None = None,
        extra_env: Mapping[str, str] | None = None,
    ) -> None:
        """Start the API and return once it answers /healthz; a restart keeps the number
        of processes and the server unless told (`extra_env`: for this start only)."""
        self.api_processes = processes or self.api_processes
        self.server = server or self.server
        args = ["api", "--port", str(self.port), "--processes", str(self.api_processes)]
        self.api = self._spawn("api", [*args, "--server", self.server], extra_env)
        self.wait_healthy(timeout_s)

    def start_stream(self, extra_env: Mapping[str, str] | None = None) -> int:
        """One more core stream worker (issue, ledger, timers), logging to a file of its
        own. Returns its process id."""
        self._stream_starts += 1
        name = "stream" if self._stream_starts == 1 else f"stream-{self._stream_starts}"
        self.streams.append(self._spawn(name, ["stream"], extra_env))
        return self.streams[-1].pid

    def start_windows(self) -> None:
        self.windows = self._spawn("windows", ["stream", "--role", "windows"])

    def start_watch(self) -> None:
        """The cash-out watch: idle but for redemptions, so it runs beside every engine."""
        self.watch = self._spawn("watch", ["stream", "--role", "watch"])

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
        return [p for p in (*self.streams, self.windows, self.watch, self.api) if p is not None]

    def all_running(self) -> bool:
        return all(p.poll() is None for p in self.children())

    def kill_api(self) -> None:
        """SIGKILL the API's server and its worker processes: whatever they were doing
        stays half done."""
        assert self.api is not None, "not started"
        workers = _descendants(self.api.pid)
        _kill(self.api)  # first, so that it cannot start a worker in place of a killed one
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def kill_stream(self, which: int = -1) -> None:
        """SIGKILL one core stream worker (the last started unless told): no chance to
        commit offsets or finish a batch."""
        _kill(self.streams.pop(which) if self.streams else None)

    def kill_streams(self) -> int:
        """SIGKILL every core stream worker; returns how many there were."""
        killed = len(self.streams)
        while self.streams:
            self.kill_stream()
        return killed

    def stop_stream(self) -> None:
        """Stop every core stream worker."""
        _stop(self.streams)
        self.streams = []

    def stop(self) -> None:
        """In order, each given its grace: the API first (it stops taking requests,
        answers those in flight, sends its confirmations and flushes its producer), then
        the stream workers (each finishes the batch in hand and commits it)."""
        _stop([self.api] if self.api is not None else [])
        _stop([p for p in (*self.streams, self.windows, self.watch) if p is not None])


def _descendants(pid: int) -> list[int]:
    """Every process below `pid`, children before their own (Linux /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            for child in (task / "children").read_text().split():
                found += [int(child), *_descendants(int(child))]
    return found


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
            proc.wait(GRACE_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# How long a process may take to stop before it is killed: the API's own graceful
# shutdown (10 s, http_servers.py) and its lifespan's flush fit in it.
GRACE_S = 20
