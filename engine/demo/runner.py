"""Run the demo end to end against a running API and stream worker, then check the books."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from rich.console import Console
from rich.table import Table

from engine.bench.prepare import wait_for_stream
from engine.demo.books import check_books
from engine.demo.load import Call, LoadResult, drive, percentile
from engine.demo.pages import PageLinks, dashboard_picture, links_for
from engine.demo.payouts import PayoutRun, pay_out
from engine.demo.programmes import (
    LEISURE_CAP,
    MERCHANTS,
    PROGRAMMES,
    STATIONS,
    campaign_body,
    profile_for,
    slot_list,
    station_list,
    wishes,
)
from engine.demo.stores import Stores
from engine.demo.watch import DemoThresholds, WatchRun, colluding_tills, watched
from engine.domain.tokens import mint_worker_token
from engine.keyfiles import worker_token_keys_of
from engine.settings import Settings


@dataclass
class DemoReport:
    claims: LoadResult | None = None
    redemptions: LoadResult | None = None
    issue_lag_ms: tuple[float, float] = (0.0, 0.0)
    issue_drain_s: float = 0.0
    payouts: PayoutRun = field(default_factory=PayoutRun)
    watch: WatchRun = field(default_factory=WatchRun)
    checks: dict[str, bool] = field(default_factory=dict)
    links: PageLinks | None = None

    @property
    def ok(self) -> bool:
        return all(self.checks.values())


class Demo:
    def __init__(
        self,
        settings: Settings,
        base_url: str,
        workers: int,
        concurrency: int,
        console: Console,
        dashboard_shot: Path | None = None,
    ) -> None:
        self.settings, self.base_url, self.dashboard_shot = settings, base_url, dashboard_shot
        self.n_workers, self.concurrency, self.console = workers, concurrency, console
        self.run_id = uuid.uuid4().hex[:6]
        self.ops = {"Authorization": f"Bearer {settings.ops_token.get_secret_value()}"}
        self.rng = random.Random(2025)
        self.campaign_ids: list[str] = []
        # Keys of the stores that hand out packs or check bookings in, by store id.
        self.store_keys: dict[str, str] = {}
        self.slot_ids: list[str] = []

    async def close_programmes(self) -> None:
        """Close this run's programmes, so the next run's pages and dashboard show only
        its own (the vouchers stay valid)."""
        async with httpx.AsyncClient(base_url=self.base_url, timeout=30) as client:
            for campaign_id in self.campaign_ids:
                await self._close(client, campaign_id)

    async def _close(self, client: httpx.AsyncClient, campaign_id: str) -> None:
        url = f"/v1/campaigns/{campaign_id}/status"
        (await client.post(url, json={"status": "closed"}, headers=self.ops)).raise_for_status()

    async def run(self) -> DemoReport:
        report = DemoReport()
        limits = httpx.Limits(
            max_connections=self.concurrency, max_keepalive_connections=self.concurrency
        )
        db = await asyncpg.connect(self.settings.database_url.get_secret_value())
        async with httpx.AsyncClient(base_url=self.base_url, limits=limits, timeout=30) as client:
            try:
                campaigns, merchant_keys = await self._set_up(client)
                self.campaign_ids = [c["id"] for c in campaigns.values()]
                workers = await self._register_workers(client)
                await self._wait_for_stream(client, workers[0])
                report.claims = await self._claim_burst_watched(client, workers, campaigns)
                admitted = report.claims.distinct("claim_id")
                report.issue_drain_s = await self._wait_issued(db, admitted)
                report.issue_lag_ms = await self._issue_lag(db)
                async with DemoThresholds(client, self.ops):
                    report.redemptions = await self._redeem(client, db, merchant_keys)
                    report.payouts = await pay_out(client, self.ops, self._id("first-job"))
                    redeemed = report.redemptions.distinct("redemption_id") + report.payouts.paid
                    await self._wait_ledger(db, redeemed)
                    report.watch = await watched(client, db, self.ops, self.run_id)
                report.checks = await check_books(
                    client, db, self.ops, self.run_id, campaigns, admitted, redeemed
                )
                report.checks["the watch found the shared till and flagged nothing else"] = (
                    report.watch.found and report.watch.flagged_else == 0
                )
                report.links = await links_for(
                    self.settings,
                    db,
                    self.base_url,
                    self.run_id,
                    merchant_keys,
                    self._merchant_of(),
                )
            finally:
                await db.close()
        self._print(report)
        return report

    # -- steps --------------------------------------------------------------
    async def _set_up(
        self, client: httpx.AsyncClient
    ) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
        keys = {}
        for m in MERCHANTS:
            r = await client.post(
                "/v1/merchants", json={"id": f"{m}-{self.run_id}", "name": m}, headers=self.ops
            )
            r.raise_for_status()
            keys[f"{m}-{self.run_id}"] = r.json()["api_key"]
        cap = LEISURE_CAP | {"id": f"{LEISURE_CAP['id']}-{self.run_id}"}
        (await client.post("/v1/cap-groups", json=cap, headers=self.ops)).raise_for_status()
        now = datetime.now(UTC)
        campaigns = {}
        for p in PROGRAMMES:
            r = await client.post(
                "/v1/campaigns", json=campaign_body(p, self.run_id, now), headers=self.ops
            )
            r.raise_for_status()
            campaigns[p.slug] = r.json()
            if p.options.get("stations"):
                stores = Stores(client, self.ops, self._id(p.merchant), self.store_keys)
                await stores.stations(campaigns[p.slug]["id"], station_list(p.quota))
            if p.options.get("slots"):
                stores = Stores(client, self.ops, self._id(p.merchant), self.store_keys)
                slots = slot_list(p.quota, now)
                await stores.slots(campaigns[p.slug]["id"], slots)
                self.slot_ids = [s["slot_id"] for s in slots]
            if p.options.get("partner_pool"):
                codes = [f"CM-{self.run_id}-{i:05d}" for i in range(p.quota)]
                url = f"/v1/campaigns/{campaigns[p.slug]['id']}/pool/bulk"
                (await client.post(url, json={"codes": codes}, headers=self.ops)).raise_for_status()
        self.console.print(
            f"created {len(campaigns)} programmes and {len(keys)} merchants (run {self.run_id})"
        )
        return campaigns, keys

    async def _register_workers(self, client: httpx.AsyncClient) -> list[tuple[str, str]]:
        profiles = [
            (f"w-{self.run_id}-{i:06d}", profile_for(i, self.run_id)) for i in range(self.n_workers)
        ]
        for start in range(0, len(profiles), 5000):
            chunk = [{"id": w} | p for w, p in profiles[start : start + 5000]]
            r = await client.post("/v1/workers/bulk", json={"workers": chunk}, headers=self.ops)
            r.raise_for_status()
        workers = [(w, p["category"]) for w, p in profiles]
        self.console.print(f"registered {len(workers)} simulated workers")
        return workers

    async def _wait_for_stream(self, client: httpx.AsyncClient, worker: tuple[str, str]) -> None:
        plain = next(p for p in PROGRAMMES if not p.options)
        body = campaign_body(plain, self.run_id, datetime.now(UTC))
        body.update(
            id=f"warm-{self.run_id}-0", quota=1, merchants=[], eligible_categories=[worker[1]]
        )
        await wait_for_stream(client, self.settings, body, worker, self.console)
        # Not a programme: closed at once, so the pages and the dashboard leave it out.
        await self._close(client, body["id"])

    async def _claim_burst(
        self,
        client: httpx.AsyncClient,
        workers: list[tuple[str, str]],
        campaigns: dict[str, dict[str, Any]],
    ) -> LoadResult:
        token_keys = worker_token_keys_of(self.settings)
        now = int(time.time())
        requests = []
        for worker_id, category in workers:
            # Tokens come from the union's app in production; it holds the same key.
            token = mint_worker_token(token_keys, worker_id, now, 3600)
            for slug in wishes(category):
                url = f"/v1/campaigns/{campaigns[slug]['id']}/claims"
                headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"{slug}-1"}
                body: dict[str, int | str] | None = None
                low, high = _face_range(campaigns[slug])
                if high > low:  # e.g. the battery quote the worker's shop gave
                    body = {"face_value_fen": self.rng.randrange(low, high + 1, 100)}
                if campaigns[slug].get("stations"):  # the station nearest the worker
                    body = {"station_id": self.rng.choice(STATIONS)[0]}
                if campaigns[slug].get("slots"):  # the time that suits the worker
                    body = {"slot_id": self.rng.choice(self.slot_ids)}
                requests.append(Call("POST", url, headers, body))
                if self.rng.random() < 0.05:  # a double tap: same key, same answer
                    requests.append(Call("POST", url, headers, body))
        self.rng.shuffle(requests)
        return await drive(self.base_url, requests, self.concurrency, "claims", self.console)

    async def _claim_burst_watched(
        self,
        client: httpx.AsyncClient,
        workers: list[tuple[str, str]],
        campaigns: dict[str, dict[str, Any]],
    ) -> LoadResult:
        """The burst, with the dashboard photographed a few seconds into it when asked."""
        if self.dashboard_shot is None:
            return await self._claim_burst(client, workers, campaigns)
        token = self.settings.ops_token.get_secret_value()
        url = f"{self.base_url}/ops#token={token}"
        picture = asyncio.create_task(dashboard_picture(url, self.dashboard_shot, after_s=5))
        result = await self._claim_burst(client, workers, campaigns)
        self.console.print(await picture)
        return result

    def _order(self, campaign_id: str) -> dict[str, int]:
        """What a discount voucher is redeemed on: a metro fare of 2 to 9 yuan, or a bill
        of 80 to 300 yuan (some below the lowest 满减 tier, and refused so)."""
        terms = next(
            (p.options.get("discount") for p in PROGRAMMES if campaign_id == self._id(p.slug)),
            None,
        )
        if terms is None:
            return {}
        if terms["kind"] == "percent_off":
            return {"order_fen": self.rng.randrange(200, 900, 100)}
        return {"order_fen": self.rng.randrange(8_000, 30_000, 100)}

    def _merchant_of(self) -> dict[str, str]:
        return {self._id(p.slug): self._id(p.merchant) for p in PROGRAMMES}

    def _id(self, name: str) -> str:
        return f"{name}-{self.run_id}"

    async def _wait_issued(self, db: asyncpg.Pool, admitted: int) -> float:
        started = time.monotonic()
        deadline = started + 300
        while time.monotonic() < deadline:
            issued = await db.fetchval(
                "SELECT count(*) FROM vouchers WHERE campaign_id LIKE $1", f"%-{self.run_id}"
            )
            if issued >= admitted:
                return time.monotonic() - started
            await asyncio.sleep(0.2)
        raise RuntimeError(f"only {issued} of {admitted} vouchers issued after 300 s")

    async def _issue_lag(self, db: asyncpg.Pool) -> tuple[float, float]:
        lags = [
            r["lag"]
            for r in await db.fetch(
                "SELECT extract(epoch FROM issued_at - admitted_at) * 1000 AS lag FROM vouchers"
                " WHERE campaign_id LIKE $1",
                f"%-{self.run_id}",
            )
        ]
        lags = [float(x) for x in lags]
        return percentile(lags, 0.5), percentile(lags, 0.99)

    async def _redeem(
        self, client: httpx.AsyncClient, db: asyncpg.Pool, merchant_keys: dict[str, str]
    ) -> LoadResult:
        # A booking is checked in by its room's key from its slot's check-in time: those
        # whose time has come.
        rows = await db.fetch(
            "SELECT v.code, coalesce(s.provider_id, v.station_id) AS store, c.id AS campaign"
            " FROM vouchers v JOIN campaigns c ON c.id = v.campaign_id"
            " LEFT JOIN slots s ON s.campaign_id = v.campaign_id AND s.slot_id = v.station_id"
            " WHERE v.campaign_id LIKE $1"
            " AND (s.slot_id IS NULL OR s.starts_at - s.early_check_in_s * interval '1 second'"
            " <= now())"
            " AND v.campaign_id <> $2",  # the subsidy is paid out in batches, not at a till
            f"%-{self.run_id}",
            self._id("first-job"),
        )
        merchant_of = self._merchant_of()
        sample = self.rng.sample(list(rows), k=len(rows) * 3 // 10)
        # The cash-out pattern: two merchants' vouchers rung up on one till.
        shared = colluding_tills([merchant_of[r["campaign"]] for r in sample], self.run_id)
        requests = []
        for i, row in enumerate(sample):
            merchant = merchant_of[row["campaign"]]
            # A pack is handed out by its station's staff, with that station's key; a
            # booking checked in by its room's.
            key = self.store_keys.get(row["store"]) or merchant_keys[merchant]
            headers = {
                "Authorization": f"Bearer {key}",
                "Idempotency-Key": f"pos-{i}",
                # Each merchant's own gates, pumps and tills.
                "X-Terminal-Id": shared.get(i, f"{merchant}-gate-{i % 40:02d}"),
            }
            body = {"code": row["code"]} | self._order(row["campaign"])
            requests.append(Call("POST", "/v1/redemptions", headers, body))
            if i % 20 == 0:  # the POS network retried: same key, same answer
                requests.append(Call("POST", "/v1/redemptions", headers, body))
            if i % 25 == 0:  # someone tries the same code again: 409
                again = headers | {"Idempotency-Key": f"again-{i}"}
                requests.append(Call("POST", "/v1/redemptions", again, body))
            if i % 50 == 0:  # a forged code: 422
                forged = (
                    row["code"][:40] + ("0" if row["code"][40] != "0" else "1") + row["code"][41:]
                )
                # Spread over the gates, as guessers would be, not all on the same few.
                forged_headers = headers | {
                    "Idempotency-Key": f"f-{i}",
                    "X-Terminal-Id": f"{merchant}-gate-{(i // 50) % 40:02d}",
                }
                forged_body = body | {"code": forged}
                requests.append(Call("POST", "/v1/redemptions", forged_headers, forged_body))
        self.rng.shuffle(requests)
        return await drive(self.base_url, requests, self.concurrency, "redemptions", self.console)

    async def _wait_ledger(self, db: asyncpg.Pool, expected: int) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            n = await db.fetchval(
                "SELECT count(*) FROM redemptions WHERE campaign_id LIKE $1", f"%-{self.run_id}"
            )
            if n >= expected:
                return
            await asyncio.sleep(0.2)

    # -- output -------------------------------------------------------------
    def _print(self, report: DemoReport) -> None:
        c, r = report.claims, report.redemptions
        assert c is not None and r is not None, "printed after both runs"
        table = Table(title="Nuanxin demo", show_header=False)
        table.add_row(
            "claim requests", f"{len(c.latencies_ms)} in {c.elapsed_s:.1f} s = {c.rate:,.0f}/s"
        )
        table.add_row(
            "claim latency p50 / p99", f"{c.percentile(0.5):.1f} / {c.percentile(0.99):.1f} ms"
        )
        table.add_row("claim outcomes", _outcomes(c))
        table.add_row(
            "issue lag p50 / p99", f"{report.issue_lag_ms[0]:.0f} / {report.issue_lag_ms[1]:.0f} ms"
        )
        table.add_row(
            "last voucher persisted", f"{report.issue_drain_s:.1f} s after the burst ended"
        )
        table.add_row(
            "redemption requests", f"{len(r.latencies_ms)} in {r.elapsed_s:.1f} s = {r.rate:,.0f}/s"
        )
        table.add_row("redemption outcomes", _outcomes(r))
        p = report.payouts
        table.add_row(
            "first-job subsidy paid out",
            f"{p.paid} payouts, {p.paid_fen / 100:,.0f} yuan in {p.batches} batches"
            f" ({p.failed_then_retried} failed at the bank, tried again)",
        )
        table.add_row(
            "cash-out watch",
            f"shared till {'found' if report.watch.found else 'NOT found'},"
            f" {report.watch.flagged_else} other cases on the run's merchants",
        )
        for name, passed in report.checks.items():
            table.add_row(name, "[green]yes[/green]" if passed else "[red]NO[/red]")
        self.console.print(table)


def _face_range(campaign: dict[str, Any]) -> tuple[int, int]:
    face = campaign["face_value_fen"]
    return campaign["face_value_min_fen"] or face, campaign["face_value_max_fen"] or face


def _outcomes(result: LoadResult) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted(result.outcomes.items()))
