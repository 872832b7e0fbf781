"""One measured run: a generator against a target, with what each part of the system
spent on it (CPU per process group, Redis memory, cost per unit of work) and, with
`--profile`, flame graphs of the engine's processes."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Self

from rich.console import Console

from engine.adapters.redis.memory import used_memory
from engine.bench.cpu import CpuSampler
from engine.bench.generators import LoadFigures, WrkScenario, run_locust, run_wrk
from engine.bench.judgement import BenchReport
from engine.bench.per_unit import per_unit, work_of
from engine.bench.profiles import Profiles
from engine.settings import Settings

# The engine's own processes, which --profile records.
PROFILED = ("api", "stream")


class Measurer:
    """Runs locust or wrk and appends its figures to the report. `processes` maps each
    part of the system to its pids; the bench's dict, so a restarted part is followed."""

    def __init__(
        self,
        settings: Settings,
        base_url: str,
        processes: dict[str, list[int]],
        out: Path,
        console: Console,
        report: BenchReport,
    ) -> None:
        self.settings, self.base_url, self.processes = settings, base_url, processes
        self.out, self.console, self.report = out, console, report
        self.o = report.options

    def locust(
        self,
        target: str,
        plan: dict[str, Any],
        classes: list[str],
        url: str | None = None,
        server_pid: int | None = None,
    ) -> LoadFigures:
        plan_path = self.out / f"plan-{target}.json"
        plan_path.write_text(json.dumps(plan))
        self.console.print(f"locust: {'+'.join(classes)} against {target} ...")
        with _Run(self, target, server_pid) as run:
            figures = run_locust(
                url or self.base_url,
                plan_path,
                classes,
                self.o.users,
                self.o.locust_processes,
                self.o.max_seconds,
                self.out / f"locust-{target}",
                # Paced users that all start at once fire in step: bursts of every user at
                # the same instant. Starting them over 5 s spreads their phases like phones.
                spawn_seconds=5.0 if self.o.claims_per_s else 1.0,
            )
        return run.keep(figures)

    def wrk(
        self,
        target: str,
        scenario: WrkScenario,
        url: str | None = None,
        server_pid: int | None = None,
    ) -> LoadFigures:
        self.console.print(
            f"wrk: {self.o.wrk_seconds} s of {scenario.name} requests against {target} ..."
        )
        with _Run(self, target, server_pid) as run:
            figures = run_wrk(
                url or self.base_url, scenario, self.o.wrk_seconds, self.o.wrk_connections
            )
        return run.keep(figures)

    def groups(self, server_pid: int | None) -> dict[str, list[int]]:
        groups = dict(self.processes)
        if server_pid is not None:  # a baseline replaces the API in this run
            groups["api"] = [server_pid]
            groups.pop("stream", None)
        return groups


class _Run:
    """What one run spent: sampled from entering to leaving, kept by `keep()`."""

    def __init__(self, measurer: Measurer, target: str, server_pid: int | None) -> None:
        self.m, self.target = measurer, target
        self.groups = measurer.groups(server_pid)
        self.profiles: Profiles | None = None

    def __enter__(self) -> Self:
        self.memory_before = used_memory(self.m.settings)
        if self.m.o.profile and self.target.startswith("engine"):
            profiled = {g: p for g, p in self.groups.items() if g in PROFILED}
            self.profiles = Profiles(self.target, profiled, self.m.out).start()
        self.sampler = CpuSampler(self.groups).start()
        self.generator_cpu = _children_cpu()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shares = self.sampler.stop()
        self.generator_used = _children_cpu() - self.generator_cpu
        if self.profiles is not None:
            for svg in self.profiles.stop():
                self.m.console.print(f"flame graph: {svg}")

    def keep(self, figures: LoadFigures) -> LoadFigures:
        figures.target = self.target
        figures.cpu = self.shares
        figures.cpu["load generator"] = round(self.generator_used / self.sampler.elapsed, 2)
        work = work_of(figures, used_memory(self.m.settings) - self.memory_before)
        figures.per_unit = per_unit(self.sampler.shares, self.sampler.elapsed, work)
        self.m.report.runs.append(figures)
        return figures


def _children_cpu() -> float:
    """CPU of this process's waited-for children: the load generator of the phase just run."""
    usage = os.times()
    return usage.children_user + usage.children_system
