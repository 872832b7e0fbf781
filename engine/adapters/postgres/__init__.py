"""The PostgreSQL adapter: the system of record. Named queries live in sql/queries.sql.

One pool per process; one records class per concern (campaigns, vouchers, ledger,
merchants, webhooks, workers, operators, lottery, stations, slots,
payouts, the cash-out watch), each implementing the use cases'
port of that concern. `Database` is all of them over one pool, for the process that
wires the use cases, the CLI and the tests.
"""

from __future__ import annotations

import json

import asyncpg

from engine.adapters.failures import translated
from engine.adapters.postgres.base import queries
from engine.adapters.postgres.campaigns import CampaignRecords
from engine.adapters.postgres.ledger import LedgerRecords
from engine.adapters.postgres.lottery import LotteryRecords
from engine.adapters.postgres.merchants import MerchantRecords
from engine.adapters.postgres.operators import OperatorRecords
from engine.adapters.postgres.payouts import PayoutRecords
from engine.adapters.postgres.slots import SlotRecords
from engine.adapters.postgres.stations import StationRecords
from engine.adapters.postgres.vouchers import VoucherRecords
from engine.adapters.postgres.watch import WatchRecords
from engine.adapters.postgres.webhooks import WebhookRecords
from engine.adapters.postgres.workers import WorkerRecords

__all__ = ["Database", "connect", "queries"]


@translated
class Database(
    CampaignRecords,
    VoucherRecords,
    LedgerRecords,
    MerchantRecords,
    WebhookRecords,
    WorkerRecords,
    OperatorRecords,
    LotteryRecords,
    StationRecords,
    SlotRecords,
    PayoutRecords,
    WatchRecords,
):
    async def ping(self) -> None:
        await self.pool.fetchval("SELECT 1")

    async def close(self) -> None:
        await self.pool.close()


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def connect(url: str, size: int) -> Database:
    pool = await asyncpg.create_pool(url, min_size=1, max_size=size, init=_init_connection)
    return Database(pool)
