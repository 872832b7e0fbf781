"""Each part's cost per unit of work in one run: µs of CPU per request, per voucher, per
event, and bytes of Redis memory per admission, from the run's CPU shares, its answers
and Redis's memory before and after. Plain arithmetic, without I/O.

With `--pin` the API has a core of its own, so its µs per request are what one core
spends on one; the other parts share the other core and are read the same way."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

import psutil

from engine.bench.generators import LoadFigures

API_CORE, REST_CORE = 0, 1


@dataclass(frozen=True, slots=True)
class Work:
    """What a run did: requests answered, admissions (201), and Redis memory added."""

    requests: int
    admitted: int
    redis_bytes: int


def per_unit(cpu: dict[str, float], elapsed_s: float, work: Work) -> dict[str, float]:
    """µs of CPU of each part per unit of its work, and Redis bytes per admission; a part
    without work in the run is left out."""

    def us(share: float, units: int) -> float:
        return round(share * elapsed_s / units * 1e6, 1)

    redis = sum(v for k, v in cpu.items() if k.startswith("redis"))
    out: dict[str, float] = {}
    if work.requests:
        out["API µs/request"] = us(cpu.get("api", 0.0), work.requests)
        out["Redis µs/decision"] = us(redis, work.requests)
    if work.admitted:
        if "stream" in cpu:
            # A claim run's 201 is a voucher issued, a redemption run's a ledger row.
            out["stream µs/201 (voucher or ledger row)"] = us(cpu["stream"], work.admitted)
        out["broker µs/event"] = us(cpu.get("broker", 0.0), work.admitted)
        out["PostgreSQL µs/admission"] = us(cpu.get("postgres", 0.0), work.admitted)
        out["Redis bytes/admission"] = round(work.redis_bytes / work.admitted, 1)
    return out


def work_of(run: LoadFigures, redis_bytes: int) -> Work:
    requests = run.total.requests if "all" in run.endpoints else 0
    return Work(requests, run.statuses.get("201", 0), redis_bytes)


def pin(pids: Iterable[int], core: int) -> None:
    """Each process and its children on one core (children started later inherit it)."""
    for pid in pids:
        try:
            root = psutil.Process(pid)
            for p in (root, *root.children(recursive=True)):
                p.cpu_affinity([core])
        except psutil.Error:
            continue


def pin_self() -> None:
    """This process (and the load generators, servers and workers it starts) on the core
    the API does not use."""
    os.sched_setaffinity(0, {REST_CORE})
