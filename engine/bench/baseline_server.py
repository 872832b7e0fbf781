"""A baseline ASGI app served beside the engine for one run, on a free loopback port."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import Self

from engine.bench.judgement import BenchOptions
from engine.bench.per_unit import API_CORE
from engine.stack.http_servers import server_command
from engine.stack.processes import free_port, port_open


class BaselineServer:
    """`async with` serves `factory` (module:function) with the engine's server and as
    many processes, on the API's core when the bench is pinned; its log in `out`."""

    def __init__(
        self,
        target: str,
        factory: str,
        options: BenchOptions,
        out: Path,
        env: dict[str, str] | None = None,
    ) -> None:
        self.target, self.factory, self.options, self.out = target, factory, options, out
        self.env = os.environ | (env or {})
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> Self:
        self.process = self._spawn()
        try:
            await self._wait_listening()
        except BaseException:
            self._stop()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop()

    def _spawn(self) -> subprocess.Popen[bytes]:
        o = self.options
        argv = server_command(o.server, self.factory, "127.0.0.1", self.port, o.api_processes)
        if o.pin:  # on the API's core, as the API is; its workers inherit it
            argv = ["taskset", "-c", str(API_CORE), *argv]
        log = (self.out / f"{self.target}.log").open("ab")
        return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=self.env)

    @property
    def pid(self) -> int:
        return self.process.pid

    def _stop(self) -> None:
        self.process.terminate()
        self.process.wait(15)

    async def _wait_listening(self, timeout_s: float = 30) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the {self.target} server exited during start-up; see its log")
            if port_open(self.port):
                await asyncio.sleep(1)  # every uvicorn worker has run its lifespan
                return
            await asyncio.sleep(0.2)
        raise RuntimeError(f"the {self.target} server did not listen on {self.port}")
