"""CPU used by each part of the system during one phase, from /proc via psutil."""

from __future__ import annotations

import threading
import time

import psutil


class CpuSampler:
    """Samples process trees twice a second; a process that ends keeps its last sample.

    `groups` maps a name (api, stream, redis, ...) to root pids; children are included,
    which covers uvicorn's workers, PostgreSQL's backends and locust's processes.
    """

    def __init__(self, groups: dict[str, list[int]]) -> None:
        self.groups = {name: list(pids) for name, pids in groups.items()}
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._owner: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self.started = 0.0
        self.elapsed = 0.0
        self.shares: dict[str, float] = {}  # as stop() answers them, unrounded

    def start(self) -> CpuSampler:
        self.started = time.monotonic()
        self._sample(initial=True)
        self._thread.start()
        return self

    def stop(self) -> dict[str, float]:
        """Share of one core per group over the phase (1.0 = one core busy throughout)."""
        self._stop.set()
        self._thread.join()
        self._sample()
        self.elapsed = time.monotonic() - self.started
        used: dict[str, float] = dict.fromkeys(self.groups, 0.0)
        for pid, last in self._last.items():
            used[self._owner[pid]] += last - self._first[pid]
        self.shares = {name: seconds / self.elapsed for name, seconds in used.items()}
        return {name: round(share, 2) for name, share in self.shares.items()}

    def _loop(self) -> None:
        while not self._stop.wait(0.5):
            self._sample()

    def _sample(self, initial: bool = False) -> None:
        for name, roots in list(self.groups.items()):
            for root in roots:
                try:
                    proc = psutil.Process(root)
                    tree = [proc, *proc.children(recursive=True)]
                except psutil.Error:
                    continue
                for p in tree:
                    try:
                        t = p.cpu_times()
                    except psutil.Error:
                        continue
                    total = t.user + t.system
                    if p.pid not in self._first:
                        # A process born during the phase started from zero.
                        self._first[p.pid] = total if initial else 0.0
                        self._owner[p.pid] = name
                    self._last[p.pid] = total
