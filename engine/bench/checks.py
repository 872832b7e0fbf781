"""After a run: the promises checked against PostgreSQL and Redis, and the issuance figures."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx

from engine.bench.baselines import postgres_only_queries
from engine.domain.codes import verify_code
from engine.domain.keyring import public_keys_from_document
from engine.errors import InvalidCode
from engine.usecases.ports import LiveFigures


@dataclass
class Books:
    checks: dict[str, bool] = field(default_factory=dict)
    figures: dict[str, float] = field(default_factory=dict)
    # vouchers persisted per second since the first request (for the chart)
    issued_per_s: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(self.checks.values())

    def merge(self, other: Books) -> None:
        self.checks |= other.checks
        self.figures |= other.figures
        self.issued_per_s = self.issued_per_s or other.issued_per_s


async def claim_books(
    db: asyncpg.Connection,
    figures: LiveFigures,
    base_url: str,
    campaign_id: str,
    quota: int,
    expected: tuple[int, int],
    started_at: float,
    drain_timeout_s: float = 300,
) -> Books:
    """Wait for issuance to finish, then check one campaign's claims end to end.

    `expected` bounds the admissions: (n, n) with n = min(quota, distinct claimants) for a
    burst; for a fixed-duration wrk run, from its distinct 201 answers up to those plus the
    requests still in flight when it stopped (answered after wrk stopped counting).
    `started_at` is the wall-clock time of the first request.
    """
    books = Books()
    # Requests still in flight when the generator stopped are answered after it: wait until
    # the admissions stop moving and issuance has caught up with them.
    deadline = time.monotonic() + drain_timeout_s
    admitted = vouchers = -1
    while time.monotonic() < deadline:
        now_admitted = await _counter(figures, campaign_id, "admitted")
        vouchers = await db.fetchval(
            "SELECT count(*) FROM vouchers WHERE campaign_id = $1", campaign_id
        )
        if vouchers >= now_admitted == admitted:
            break
        admitted = now_admitted
        await asyncio.sleep(0.5)
    books.checks[_expectation("admitted", expected)] = expected[0] <= admitted <= expected[1]
    books.checks[f"vouchers in PostgreSQL == admitted ({vouchers:,} / {admitted:,})"] = (
        vouchers == admitted
    )
    row = await db.fetchrow(
        "SELECT count(DISTINCT code) AS codes, count(DISTINCT worker_id) AS workers,"
        " count(DISTINCT serial) AS serials,"
        " percentile_cont(0.5) WITHIN GROUP (ORDER BY issued_at - admitted_at) AS p50,"
        " percentile_cont(0.99) WITHIN GROUP (ORDER BY issued_at - admitted_at) AS p99,"
        " max(admitted_at) AS last_admitted, max(issued_at) AS last"
        " FROM vouchers WHERE campaign_id = $1",
        campaign_id,
    )
    books.checks["no duplicate codes, serials or workers"] = (
        row["codes"] == row["serials"] == row["workers"] == vouchers
    )
    books.checks["no oversell (vouchers <= quota)"] = vouchers <= quota
    if vouchers:
        await _issue_figures(db, books, campaign_id, row, started_at)
    books.checks["every code verifies with the published keys"] = await _codes_verify(
        db, base_url, campaign_id
    )
    return books


async def _issue_figures(
    db: asyncpg.Connection, books: Books, campaign_id: str, row: Any, started_at: float
) -> None:
    """Issue lag, when the last claim was admitted and the last voucher persisted, and
    vouchers issued per second."""
    books.figures["issue lag p50 ms"] = row["p50"].total_seconds() * 1000
    books.figures["issue lag p99 ms"] = row["p99"].total_seconds() * 1000
    books.figures["last claim admitted, s after the first request"] = (
        row["last_admitted"].timestamp() - started_at
    )
    books.figures["last voucher persisted, s after the first request"] = (
        row["last"].timestamp() - started_at
    )
    books.issued_per_s = [
        r["n"]
        for r in await db.fetch(
            "SELECT s, count(v.serial) AS n FROM generate_series(0, $3::int) s"
            " LEFT JOIN vouchers v ON v.campaign_id = $1"
            "  AND floor(extract(epoch FROM v.issued_at) - $2) = s GROUP BY s ORDER BY s",
            campaign_id,
            started_at,
            int(row["last"].timestamp() - started_at) + 1,
        )
    ]


def _expectation(what: str, expected: tuple[int, int]) -> str:
    low, high = expected
    return f"{what} == {low:,}" if low == high else f"{what} in [{low:,}, {high:,}]"


async def _codes_verify(db: asyncpg.Connection, base_url: str, campaign_id: str) -> bool:
    async with httpx.AsyncClient(base_url=base_url) as client:
        public_keys = public_keys_from_document((await client.get("/v1/keys")).json())
    rows = await db.fetch("SELECT code, serial FROM vouchers WHERE campaign_id = $1", campaign_id)

    def verify_all() -> bool:
        try:
            return all(verify_code(r["code"], public_keys).serial == r["serial"] for r in rows)
        except InvalidCode:
            return False

    return await asyncio.to_thread(verify_all)


async def redemption_books(
    db: asyncpg.Connection, figures: LiveFigures, campaign_id: str, codes: int
) -> Books:
    """No voucher redeemed twice; the ledger matches Redis once the ledger agent caught up."""
    books = Books()
    redeemed = 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        redeemed = await _counter(figures, campaign_id, "redeemed")
        ledger = await db.fetchval(
            "SELECT count(*) FROM redemptions WHERE campaign_id = $1", campaign_id
        )
        if ledger >= redeemed:
            break
        await asyncio.sleep(0.25)
    distinct = await db.fetchval(
        "SELECT count(DISTINCT serial) FROM redemptions WHERE campaign_id = $1", campaign_id
    )
    books.checks[f"ledger rows == redeemed in Redis ({ledger:,} / {redeemed:,})"] = (
        ledger == redeemed
    )
    books.checks["no voucher redeemed twice"] = distinct == ledger
    books.checks["redemptions <= codes handed out"] = ledger <= codes
    books.figures["redeemed"] = ledger
    return books


async def ceiling_redemption_books(
    figures: LiveFigures, campaign_id: str, answered: int, in_flight: int
) -> Books:
    """The redemption ceiling keeps no ledger: what its script counted redeemed is what it
    answered 201, give or take the requests still in flight when the generator stopped."""
    redeemed = await _counter(figures, campaign_id, "redeemed")
    name = f"redemption ceiling: redeemed in Redis ({redeemed:,}) == its 201 answers ({answered:,})"
    return Books(checks={name: answered <= redeemed <= answered + in_flight})


async def postgres_only_books(
    db: asyncpg.Connection, campaign_id: str, expected: tuple[int, int], rows: int = 1
) -> Books:
    """The books of the PostgreSQL-only alternative with its stock in 1 or 16 rows."""
    query = "books" if rows == 1 else "books_16"
    row = await db.fetchrow(postgres_only_queries()[query], campaign_id)
    claims, name = (
        row["claims"],
        "PostgreSQL-only" if rows == 1 else f"PostgreSQL-only, {rows} rows",
    )
    return Books(
        checks={
            _expectation(f"{name}: claims", expected): (
                expected[0] <= claims <= expected[1] and claims == row["taken"]
            ),
            f"{name}: no oversell": claims <= row["quota"],
        }
    )


async def _counter(figures: LiveFigures, campaign_id: str, name: str) -> int:
    counters = await figures.counters(campaign_id)
    return int(getattr(counters, name)) if counters else 0
