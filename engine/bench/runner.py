"""`nuanxin bench`: prepare, run a scenario against the engine and its baselines, check, report.

The engine (API and stream worker) and the local stack are started by the CLI; this
runner prepares the data, starts the two baselines (the ceiling and the PostgreSQL-only
alternative) with the same number of processes, drives each with the same generators,
checks the books after every run and collects CPU per process group.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any, Protocol

import asyncpg
from rich.console import Console
from rich.progress import Progress

from engine.adapters.kafka import ensure_topics
from engine.adapters.redis import Redis
from engine.bench.baseline_server import BaselineServer
from engine.bench.baselines import (
    BENCH_CAMPAIGN_ENV,
    BENCH_MERCHANT_ENV,
    CEILING_EVENT,
    POSTGRES_16,
    REDEMPTION_CEILING,
    REDEMPTION_CEILING_EVENT,
    postgres_only_queries,
)
from engine.bench.checks import (
    Books,
    ceiling_redemption_books,
    claim_books,
    postgres_only_books,
    redemption_books,
)
from engine.bench.cpu import CpuSampler
from engine.bench.generators import (
    WRK_THREADS,
    LoadFigures,
    claims_scenario,
    redemptions_scenario,
)
from engine.bench.judgement import BenchOptions, BenchReport, judge
from engine.bench.measure import Measurer
from engine.bench.prepare import CATEGORY, Preparer, campaign_body, wait_for_stream
from engine.settings import Settings

SEED_RUN = "engine, seed burst"

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
        self.measure = Measurer(settings, base_url, processes, out, console, self.report)
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
            if self.o.compare and self.o.scenario == "redeem" and "wrk" in self.o.generators:
                await self._redemption_ceiling_run()
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
            figures = self.measure.locust("engine", self.plan, SCENARIOS[self.o.scenario])
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
            figures = self._wrk_claims("engine", campaign)
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
            if self.o.quota < self.o.workers:
                await self._seed_run()
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
        self.measure.wrk("engine", scenario)
        books = await redemption_books(self.db, self.redis.figures, campaign, self.o.codes)
        self.report.books.merge(_prefixed("wrk run: ", books))

    async def _seed_run(self) -> None:
        """The seed burst as the union runs it: a quota smaller than the crowd, wrk going
        through the workers in turn for the run's length. When the last voucher is persisted
        after the first request, and the too late answered sold-out by the edge."""
        campaign = await self.prep.campaign("seed", self.o.quota)
        started = time.time()
        figures = self._wrk_claims(SEED_RUN, campaign)
        # Its 201s count wrk's repeats too, and issuance goes on after it: no per-unit
        # figures (the other claim runs have them).
        figures.per_unit.clear()
        books = await claim_books(
            self.db,
            self.redis.figures,
            self.base_url,
            campaign,
            self.o.quota,
            self._wrk_expected(figures, self.o.quota),
            started,
        )
        sold_out = figures.statuses.get("410", 0)
        admitted_answers = figures.statuses.get("201", 0)
        books.checks[
            f"every claim answered admitted or sold-out ({admitted_answers:,} + {sold_out:,})"
        ] = admitted_answers + sold_out == figures.total.requests
        books.figures["answered sold-out (the too late, and their repeats)"] = sold_out
        self.report.books.merge(_prefixed("seed run: ", books))

    async def _drain_run(self, stream: StreamControl) -> None:
        """Issuance alone: a backlog admitted while the stream workers are stopped, then
        drained by as many fresh ones; vouchers/s from the first to the last persisted
        voucher."""
        campaign = await self.prep.campaign("drain", self.o.workers)
        workers = len(self.processes["stream"])
        stream.stop_stream()
        try:
            started = time.time()
            figures = self._wrk_claims("engine, stream stopped", campaign)
        finally:
            self.processes["stream"] = [stream.start_stream() for _ in range(workers)]
        # The workers' start-up (imports, group join) is not issuance: sampled from the
        # first voucher persisted.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            first = "SELECT EXISTS (SELECT 1 FROM vouchers WHERE campaign_id = $1)"
            if await self.db.fetchval(first, campaign):
                break
            await asyncio.sleep(0.05)
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
            "issuer µs of CPU per voucher while draining": (
                sampler.shares["stream"] * sampler.elapsed / row["n"] * 1e6
            ),
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
            async with BaselineServer(target, factory, self.o, self.out) as server:
                await self._baseline_claims(target, server, head, quota, n)

    async def _baseline_claims(
        self, target: str, server: BaselineServer, tokens: Path, quota: int, count: int
    ) -> None:
        rows = _STOCK_ROWS.get(target, 0)
        campaigns = {
            g: await self._baseline_campaign(target, g, quota, count) for g in self.o.generators
        }
        if "locust" in self.o.generators:
            plan = self.plan | {"claim_campaign": campaigns["locust"], "tokens_file": str(tokens)}
            self.measure.locust(target, plan, ["ClaimBurst"], server.url, server.pid)
            if rows:
                books = await postgres_only_books(
                    self.db, campaigns["locust"], (quota, quota), rows
                )
                self.report.books.merge(books)
        if "wrk" in self.o.generators:
            figures = self._wrk_claims(target, campaigns["wrk"], server.url, server.pid)
            if rows:
                books = await postgres_only_books(
                    self.db, campaigns["wrk"], self._wrk_expected(figures), rows
                )
                self.report.books.merge(_prefixed("wrk run: ", books))

    async def _redemption_ceiling_run(self) -> None:
        """The bare redemption under wrk, on codes of a campaign of its own (issued by the
        engine), redeemed for the bench's merchant."""
        merchant = self.redeem_merchant
        campaign = await self.prep.campaign("redeem-ceiling", self.o.codes, [merchant])
        with Progress(console=self.console) as progress:
            codes = await self.prep.issued_codes(
                campaign, self.tokens, self.o.codes, progress, file_name="codes-ceiling.txt"
            )
        await ensure_topics(self.settings, (REDEMPTION_CEILING_EVENT,))
        env = {BENCH_MERCHANT_ENV: merchant, BENCH_CAMPAIGN_ENV: campaign}
        target, factory = REDEMPTION_CEILING, "engine.bench.baselines:redemption_ceiling_app"
        scenario = redemptions_scenario(codes, self.plan["merchant_keys"])
        async with BaselineServer(target, factory, self.o, self.out, env) as server:
            figures = self.measure.wrk(target, scenario, server.url, server.pid)
        answered = figures.statuses.get("201", 0)
        self.report.books.merge(
            await ceiling_redemption_books(
                self.redis.figures, campaign, answered, self.o.wrk_connections
            )
        )

    def _wrk_claims(
        self, target: str, campaign: str, url: str | None = None, server_pid: int | None = None
    ) -> LoadFigures:
        return self.measure.wrk(target, claims_scenario(self.tokens, campaign), url, server_pid)

    def _wrk_expected(self, figures: LoadFigures, quota: int | None = None) -> tuple[int, int]:
        """Admissions a fixed-duration wrk run can have made against `quota` (all the
        workers unless given): exactly the quota once sold-out was answered; else its 201
        answers, plus the requests still in flight when it stopped. Each thread cycles
        through its own share of the tokens, so once one wraps (a repeat answers 201 again)
        only that share is certain."""
        quota = self.o.workers if quota is None else quota
        if figures.statuses.get("410", 0):
            return quota, quota
        answered = figures.statuses.get("201", 0)
        low = min(answered, self.o.workers // WRK_THREADS)
        return low, min(answered + self.o.wrk_connections, quota)

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


# How many rows hold a PostgreSQL-only alternative's stock.
_STOCK_ROWS = {"postgres-only": 1, POSTGRES_16: 16}


def _prefixed(prefix: str, books: Books) -> Books:
    return Books(
        checks={prefix + k: v for k, v in books.checks.items()},
        figures={prefix + k: v for k, v in books.figures.items()},
    )
