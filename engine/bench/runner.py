"""`nuanxin bench`: prepare, run a scenario against the engine and its baselines, check, report.

The engine (API and stream worker) and the local stack are started by the CLI; this
runner prepares the data, starts the two baselines (the ceiling and the PostgreSQL-only
alternative) with the same number of processes, drives each with the same generators,
checks the books after every run and collects CPU per process group.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any, Protocol

import asyncpg
from rich.console import Console
from rich.progress import Progress

from engine.adapters.kafka import ensure_topics
from engine.adapters.redis import Redis
from engine.adapters.redis.memory import used_memory
from engine.bench.baselines import CEILING_EVENT, POSTGRES_16, postgres_only_queries
from engine.bench.checks import (
    Books,
    claim_books,
    postgres_only_books,
    redemption_books,
)
from engine.bench.cpu import CpuSampler
from engine.bench.generators import (
    WRK_THREADS,
    LoadFigures,
    WrkScenario,
    claims_scenario,
    redemptions_scenario,
    run_locust,
    run_wrk,
)
from engine.bench.judgement import BenchOptions, BenchReport, judge
from engine.bench.per_unit import API_CORE, per_unit, work_of
from engine.bench.prepare import CATEGORY, Preparer, campaign_body, wait_for_stream
from engine.settings import Settings
from engine.stack.http_servers import server_command
from engine.stack.processes import free_port, port_open

SCENARIOS = {
    "claim_burst": ["ClaimBurst"],
    "redeem": ["Redeemer"],
    "mixed": ["ClaimBurst", "Redeemer", "OpsWatcher"],
}


class StreamControl(Protocol):
    """Stops the core stream workers and starts one (the CLI owns the processes)."""

    def stop_stream(self) -> None: ...

    def start_stream(self) -> int: ...  # the new process id


class Bench:
    def __init__(
        self,
        settings: Settings,
        base_url: str,
        options: BenchOptions,
        processes: dict[str, list[int]],
        out: Path,
        console: Console,
        stream: StreamControl | None = None,
    ) -> None:
        self.settings, self.base_url, self.o = settings, base_url, options
        self.processes, self.out, self.console = processes, out, console
        self.stream = stream
        self.run_id = uuid.uuid4().hex[:6]
        self.report = BenchReport(options)
        self.plan: dict[str, Any] = {"ops_token": settings.ops_token.get_secret_value()}
        self.out.mkdir(parents=True, exist_ok=True)

    async def run(self) -> BenchReport:
        self.db = await asyncpg.connect(self.settings.database_url.get_secret_value())
        self.redis = Redis.from_settings(self.settings, 4)
        self.prep = Preparer(self.settings, self.base_url, self.run_id, self.out)
        try:
            await self._prepare()
            await self._engine_runs()
            if self.o.compare and self.o.scenario != "redeem":
                await self._baseline_runs()
        finally:
            await self.prep.close()
            await self.redis.close()
            await self.db.close()
        judge(self.report)
        return self.report

    # -- preparation (untimed) ----------------------------------------------
    async def _prepare(self) -> None:
        with Progress(console=self.console) as progress:
            workers = await self.prep.workers(self.o.workers, progress)
            self.tokens = self.prep.tokens(workers, progress)
            warm = campaign_body(f"warm-{self.run_id}", 1)
            await wait_for_stream(
                self.prep.client, self.settings, warm, (workers[0], CATEGORY), self.console
            )
            if self.o.scenario in ("claim_burst", "mixed"):
                self.plan["claim_campaign"] = await self.prep.campaign("burst", self.o.quota)
            if self.o.scenario in ("redeem", "mixed"):
                merchant, keys = await self.prep.merchant_keys(self.o.merchant_keys)
                self.redeem_merchant = merchant
                self.redeem_campaign = await self.prep.campaign("redeem", self.o.codes, [merchant])
                codes = await self.prep.issued_codes(
                    self.redeem_campaign, self.tokens, self.o.codes, progress
                )
                self.plan |= {"codes_file": str(codes), "merchant_keys": keys}
                self.plan.setdefault("claim_campaign", self.redeem_campaign)
        if self.o.scenario != "redeem":
            self.plan["tokens_file"] = str(self.tokens)
        if self.o.claims_per_s:
            self.plan["user_rate"] = self.o.claims_per_s / self.o.users

    # -- the engine ----------------------------------------------------------
    async def _engine_runs(self) -> None:
        if "locust" in self.o.generators:
            started = time.time()
            figures = self._locust("engine", self.plan, SCENARIOS[self.o.scenario])
            if "claim_campaign" in self.plan and self.o.scenario != "redeem":
                self.report.books.merge(
                    await claim_books(
                        self.db,
                        self.redis.figures,
                        self.base_url,
                        self.plan["claim_campaign"],
                        self.o.quota,
                        (min(self.o.quota, self.o.workers),) * 2,
                        figures.started_at or started,
                    )
                )
            if self.o.scenario != "claim_burst":
                self.report.books.merge(
                    await redemption_books(
                        self.db, self.redis.figures, self.redeem_campaign, self.o.codes
                    )
                )
        if "wrk" in self.o.generators and self.o.scenario == "redeem":
            await self._wrk_redemptions()
        if "wrk" in self.o.generators and self.o.scenario != "redeem":
            campaign = await self.prep.campaign("wrk", self.o.workers)
            started = time.time()
            figures = self._wrk("engine", campaign)
            books = await claim_books(
                self.db,
                self.redis.figures,
                self.base_url,
                campaign,
                self.o.workers,
                self._wrk_expected(figures),
                started,
            )
            self.report.books.merge(_prefixed("wrk run: ", books))
            if self.stream is not None:
                await self._drain_run(self.stream)

    async def _wrk_redemptions(self) -> None:
        """Redemptions from wrk, a lighter generator than locust: the prepared codes, or
        codes of a campaign of their own when locust redeemed those."""
        campaign, codes = self.redeem_campaign, Path(self.plan["codes_file"])
        if "locust" in self.o.generators:
            merchant = self.redeem_merchant
            campaign = await self.prep.campaign("redeem-wrk", self.o.codes, [merchant])
            with Progress(console=self.console) as progress:
                codes = await self.prep.issued_codes(
                    campaign, self.tokens, self.o.codes, progress, file_name="codes-wrk.txt"
                )
        scenario = redemptions_scenario(codes, self.plan["merchant_keys"])
        self._wrk("engine", campaign, scenario=scenario)
        books = await redemption_books(self.db, self.redis.figures, campaign, self.o.codes)
        self.report.books.merge(_prefixed("wrk run: ", books))

    async def _drain_run(self, stream: StreamControl) -> None:
        """Issuance alone: a backlog admitted while the stream workers are stopped, then
        drained by as many fresh ones; vouchers/s from the first to the last persisted
        voucher."""
        campaign = await self.prep.campaign("drain", self.o.workers)
        workers = len(self.processes["stream"])
        stream.stop_stream()
        try:
            started = time.time()
            figures = self._wrk("engine, stream stopped", campaign)
        finally:
            self.processes["stream"] = [stream.start_stream() for _ in range(workers)]
        sampler = CpuSampler({"stream": self.processes["stream"]}).start()
        books = await claim_books(
            self.db,
            self.redis.figures,
            self.base_url,
            campaign,
            self.o.workers,
            self._wrk_expected(figures),
            started,
        )
        cpu = sampler.stop()
        row = await self.db.fetchrow(
            "SELECT count(*) AS n, extract(epoch FROM max(issued_at) - min(issued_at)) AS s"
            " FROM vouchers WHERE campaign_id = $1",
            campaign,
        )
        rate = row["n"] / max(float(row["s"]), 0.001)
        books.figures = {
            "issuance backlog drained (vouchers)": row["n"],
            "issuance drain rate (vouchers/s, first to last persisted)": rate,
            "stream worker CPU while draining (share of a core)": cpu["stream"],
            "issuer µs of CPU per voucher while draining": sampler.shares["stream"] / rate * 1e6,
        }
        self.report.books.merge(_prefixed("drain run: ", books))

    # -- the baselines --------------------------------------------------------
    async def _baseline_runs(self) -> None:
        n = min(self.o.compare_workers, self.o.workers)
        quota = max(1, n * self.o.quota // self.o.workers)  # the same sold-out share
        head = self.out / "tokens-compare.txt"
        with self.tokens.open() as src, head.open("w") as dst:
            dst.writelines(line for _, line in zip(range(n), src, strict=False))
        await ensure_topics(self.settings, (CEILING_EVENT,))
        q = postgres_only_queries()
        await self.db.execute(q["schema"])
        await self.db.execute(q["schema_16"])
        for target, factory in (
            ("ceiling", "engine.bench.baselines:ceiling_app"),
            ("postgres-only", "engine.bench.baselines:postgres_only_app"),
            (POSTGRES_16, "engine.bench.baselines:postgres_16_app"),
        ):
            rows = _STOCK_ROWS.get(target, 0)
            port = free_port()
            server = self._serve(target, factory, port)
            try:
                await _wait_listening(port, server)
                url = f"http://127.0.0.1:{port}"
                campaigns = {
                    g: await self._baseline_campaign(target, g, quota, n) for g in self.o.generators
                }
                if "locust" in self.o.generators:
                    plan = self.plan | {
                        "claim_campaign": campaigns["locust"],
                        "tokens_file": str(head),
                    }
                    self._locust(target, plan, ["ClaimBurst"], url, server.pid)
                    if rows:
                        books = await postgres_only_books(
                            self.db, campaigns["locust"], (quota, quota), rows
                        )
                        self.report.books.merge(books)
                if "wrk" in self.o.generators:
                    figures = self._wrk(target, campaigns["wrk"], url, server.pid)
                    if rows:
                        books = await postgres_only_books(
                            self.db, campaigns["wrk"], self._wrk_expected(figures), rows
                        )
                        self.report.books.merge(_prefixed("wrk run: ", books))
            finally:
                server.terminate()
                server.wait(15)

    def _wrk_expected(self, figures: LoadFigures) -> tuple[int, int]:
        """Admissions a fixed-duration wrk run can have made: its 201 answers, plus the
        requests still in flight when it stopped. Each thread cycles through its own share
        of the tokens, so once one wraps (a repeat answers 201 again) only that share is
        certain."""
        answered = figures.statuses.get("201", 0)
        if answered > self.o.workers:
            return self.o.workers // WRK_THREADS, self.o.workers
        return answered, min(answered + self.o.wrk_connections, self.o.workers)

    async def _baseline_campaign(self, target: str, generator: str, quota: int, count: int) -> str:
        if generator == "wrk":
            quota = self.o.workers  # a fixed-duration run: nobody is refused
        if target == "ceiling":
            # Created through the engine, which writes the admission script's campaign hash.
            return await self.prep.campaign(f"ceiling-{generator}", quota)
        campaign_id = f"pg{_STOCK_ROWS[target]}-{generator}-{self.run_id}"
        q = postgres_only_queries()
        await self.db.execute(q["create_campaign"], campaign_id, quota)
        if target == POSTGRES_16:
            await self.db.execute(q["create_stock_16"], campaign_id, quota)
        return campaign_id

    def _serve(self, target: str, factory: str, port: int) -> subprocess.Popen[bytes]:
        argv = server_command(self.o.server, factory, "127.0.0.1", port, self.o.api_processes)
        log = (self.out / f"{target}.log").open("ab")
        if self.o.pin:  # on the API's core, as the API is; its workers inherit it
            argv = ["taskset", "-c", str(API_CORE), *argv]
        return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)

    # -- generators, with CPU per process group -------------------------------
    def _sampler(self, target: str, server_pid: int | None) -> CpuSampler:
        groups = dict(self.processes)
        if server_pid is not None:  # a baseline replaces the API in this run
            groups["api"] = [server_pid]
            groups.pop("stream", None)
        return CpuSampler(groups)

    def _locust(
        self,
        target: str,
        plan: dict[str, Any],
        classes: list[str],
        url: str | None = None,
        server_pid: int | None = None,
    ) -> LoadFigures:
        plan_path = self.out / f"plan-{target}.json"
        plan_path.write_text(json.dumps(plan))
        memory = used_memory(self.settings)
        sampler = self._sampler(target, server_pid).start()
        generator_cpu = _children_cpu()
        self.console.print(f"locust: {'+'.join(classes)} against {target} ...")
        figures = run_locust(
            url or self.base_url,
            plan_path,
            classes,
            self.o.users,
            self.o.locust_processes,
            self.o.max_seconds,
            self.out / f"locust-{target}",
            # Paced users that all start at once fire in step: bursts of every user at the
            # same instant. Starting them over 5 s spreads their phases like real phones.
            spawn_seconds=5.0 if self.o.claims_per_s else 1.0,
        )
        return self._keep(figures, target, sampler, generator_cpu, memory)

    def _wrk(
        self,
        target: str,
        campaign: str,
        url: str | None = None,
        server_pid: int | None = None,
        scenario: WrkScenario | None = None,
    ) -> LoadFigures:
        scenario = scenario or claims_scenario(self.tokens, campaign)
        memory = used_memory(self.settings)
        sampler = self._sampler(target, server_pid).start()
        generator_cpu = _children_cpu()
        self.console.print(
            f"wrk: {self.o.wrk_seconds} s of {scenario.name} requests against {target} ..."
        )
        figures = run_wrk(
            url or self.base_url, scenario, self.o.wrk_seconds, self.o.wrk_connections
        )
        return self._keep(figures, target, sampler, generator_cpu, memory)

    def _keep(
        self,
        figures: LoadFigures,
        target: str,
        sampler: CpuSampler,
        generator_cpu: float,
        memory_before: int,
    ) -> LoadFigures:
        figures.target = target
        figures.cpu = sampler.stop()
        used = _children_cpu() - generator_cpu
        figures.cpu["load generator"] = round(used / sampler.elapsed, 2)
        work = work_of(figures, used_memory(self.settings) - memory_before)
        figures.per_unit = per_unit(sampler.shares, sampler.elapsed, work)
        self.report.runs.append(figures)
        return figures


# How many rows hold a PostgreSQL-only alternative's stock.
_STOCK_ROWS = {"postgres-only": 1, POSTGRES_16: 16}


def _prefixed(prefix: str, books: Books) -> Books:
    return Books(
        checks={prefix + k: v for k, v in books.checks.items()},
        figures={prefix + k: v for k, v in books.figures.items()},
    )


def _children_cpu() -> float:
    """CPU of this process's waited-for children: the load generator of the phase just run."""
    usage = os.times()
    return usage.children_user + usage.children_system


async def _wait_listening(
    port: int, server: subprocess.Popen[bytes], timeout_s: float = 30
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("a baseline server exited during start-up; see its log")
        if port_open(port):
            await asyncio.sleep(1)  # every uvicorn worker has run its lifespan
            return
        await asyncio.sleep(0.2)
    raise RuntimeError(f"a baseline server did not listen on {port}")
