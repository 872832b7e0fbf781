"""The faults of a chaos run, drawn from a seed: the same seed, seconds and shape give the
same schedule, so a run that found something can be run again as it was."""

from __future__ import annotations

import random
from dataclasses import dataclass

# What can be broken, and how long it stays broken at most (s). A Redis master is killed
# only on a cluster (one Redis is restarted with its data instead); it stays down long
# enough for its replica to take over (the local cluster's node timeout is 5 s).
FAULTS = {
    "api": 6.0,
    "stream": 8.0,
    "broker": 6.0,
    "postgres": 6.0,
    "redis": 4.0,
    "redis-master": 14.0,
}
SINGLE = ("api", "stream", "broker", "postgres", "redis")
CLUSTER = ("api", "stream", "broker", "postgres", "redis-master")


@dataclass(frozen=True, slots=True)
class Fault:
    at_s: float  # after the load starts
    kind: str
    down_s: float  # how long before it is healed

    def describe(self) -> str:
        return f"{self.at_s:6.1f} s  {self.kind:<13} down {self.down_s:4.1f} s"


def schedule(seed: int, seconds: float, cluster: bool, gap_s: float = 4.0) -> list[Fault]:
    """One fault at a time, each healed before the next; a quiet start and a quiet end
    (the last fault is healed a gap before the load stops)."""
    rng = random.Random(seed)
    kinds = CLUSTER if cluster else SINGLE
    faults: list[Fault] = []
    at = gap_s
    while True:
        kind = rng.choice(kinds)
        low = 8.0 if kind == "redis-master" else 1.0
        down = round(rng.uniform(low, FAULTS[kind]), 1)
        if at + down + gap_s > seconds:
            return faults
        faults.append(Fault(round(at, 1), kind, down))
        at += down + rng.uniform(gap_s, 2 * gap_s)
