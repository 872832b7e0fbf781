"""Breaking and healing the parts of a running engine, one fault at a time."""

from __future__ import annotations

import os
import random
import signal
import time

from engine.chaos.schedule import Fault
from engine.stack.engine_processes import EngineProcesses
from engine.stack.local import LocalStack
from engine.stack.processes import alive
from engine.stack.redis_servers import masters


class Nemesis:
    def __init__(self, stack: LocalStack, engine: EngineProcesses, seed: int) -> None:
        self.stack, self.engine, self.rng = stack, engine, random.Random(seed)
        self._downed: str | None = None  # the stack server a fault stopped, if one

    def break_(self, fault: Fault) -> str:
        """Break what the fault names; what was broken, in words."""
        if fault.kind == "api":
            self.engine.kill_api()
            return "API SIGKILLed"
        if fault.kind == "stream":
            which = self.rng.randrange(len(self.engine.streams))
            self.engine.kill_stream(which)
            return f"stream worker {which + 1} of {len(self.engine.streams) + 1} SIGKILLed"
        name = self._target(fault.kind)
        self._downed = name
        if name == "postgres":  # its fast shutdown: the clients' connections are cut
            self.stack.stop_server(name)
            return "postgres stopped"
        pid = self._pid(name)
        os.kill(pid, signal.SIGKILL)
        _wait_gone(pid)
        return f"{name} SIGKILLed"

    def heal(self, fault: Fault) -> None:
        if fault.kind == "api":
            self.engine.start_api()
        elif fault.kind == "stream":
            self.engine.start_stream()
        elif self._downed is not None:
            self.stack.start_server(self._downed)
            if self._downed == "broker":
                # The local broker comes back empty; its consumer groups went with it. The
                # stream workers start again, find the log lost and drive it again.
                for _ in range(self.engine.kill_streams()):
                    self.engine.start_stream()
            self._downed = None

    def _target(self, kind: str) -> str:
        if kind == "redis-master":
            return self._a_master()
        return {"broker": "broker", "postgres": "postgres", "redis": "redis"}[kind]

    def _pid(self, name: str) -> int:
        return int(next(s["pid"] for s in self.stack.status() if s["name"] == name))

    def _a_master(self) -> str:
        """One of the cluster's masters now, drawn from the seed."""
        nodes = [s for s in self.stack.status() if s["name"].startswith("redis-")]
        ports = masters([s["port"] for s in nodes if s["running"]])
        if not ports:
            raise RuntimeError("no cluster node answers")
        port = self.rng.choice(sorted(ports))
        return str(next(s["name"] for s in nodes if s["port"] == port))


def _wait_gone(pid: int, timeout_s: float = 15) -> None:
    deadline = time.monotonic() + timeout_s
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
