"""PostgreSQL adapter: the system of record. Named queries live in sql/queries.sql."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from functools import cache
from importlib import resources

import asyncpg

from engine.domain.campaigns import (
    Campaign,
    Status,
    WorkerCategory,
    as_dict,
    options,
    with_options,
)
from engine.domain.ledger import Entry, Link, extend
from engine.domain.rebuild import LedgerFacts, VoucherFacts

_NAME = re.compile(r"^-- name: (\w+)\s*$", re.MULTILINE)


@cache
def named_queries(package: str, filename: str) -> dict[str, str]:
    """The `-- name: x` sections of one SQL file shipped in a package."""
    text = (resources.files(package) / "sql" / filename).read_text()
    parts = _NAME.split(text)[1:]
    return {name: body.strip() for name, body in zip(parts[::2], parts[1::2], strict=True)}


def queries() -> dict[str, str]:
    return named_queries("engine.adapters", "queries.sql")


def hash_api_key(api_key: str) -> bytes:
    # API keys are 256-bit random strings, so a plain digest is enough to store them.
    return hashlib.sha256(api_key.encode()).digest()


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def connect(url: str, size: int) -> Database:
    pool = await asyncpg.create_pool(url, min_size=1, max_size=size, init=_init_connection)
    return Database(pool)


class Database:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.q = queries()

    async def close(self) -> None:
        await self.pool.close()

    async def insert_campaign(self, c: Campaign) -> int | None:
        """Insert and enrol; None when a campaign with this id already exists."""
        async with self.pool.acquire() as conn, conn.transaction():
            number = await conn.fetchval(
                self.q["insert_campaign"], *_campaign_columns(c), c.status.value, options(c)
            )
            if number is not None:
                await conn.execute(self.q["enrol_merchants"], c.id, list(c.merchants))
                await conn.execute(self.q["insert_campaign_version"], c.id, 1, as_dict(c))
            return number

    async def update_campaign(self, c: Campaign, expected_version: int) -> int | None:
        """Store a new version; None when someone else changed the campaign meanwhile."""
        async with self.pool.acquire() as conn, conn.transaction():
            version = await conn.fetchval(
                self.q["update_campaign"], *_campaign_columns(c), options(c), expected_version
            )
            if version is not None:
                await conn.execute(self.q["keep_only_merchants"], c.id, list(c.merchants))
                await conn.execute(self.q["enrol_merchants"], c.id, list(c.merchants))
                await conn.execute(
                    self.q["insert_campaign_version"],
                    c.id,
                    version,
                    as_dict(replace(c, version=version)),
                )
            return version

    async def set_campaign_status(self, campaign_id: str, new: str, old: str) -> bool:
        return (
            await self.pool.fetchval(self.q["set_campaign_status"], campaign_id, new, old)
            is not None
        )

    async def insert_cap_group(self, group_id: str, period: str, max_fen: int) -> bool:
        return (
            await self.pool.fetchval(self.q["insert_cap_group"], group_id, period, max_fen)
            is not None
        )

    async def cap_groups(self) -> list[asyncpg.Record]:
        return await self.pool.fetch(self.q["cap_groups"])

    async def get_cap_group(self, group_id: str) -> asyncpg.Record | None:
        return await self.pool.fetchrow(self.q["get_cap_group"], group_id)

    async def insert_partner_codes(self, campaign_id: str, codes: Sequence[str]) -> list[str]:
        rows = await self.pool.fetch(self.q["insert_partner_codes"], campaign_id, list(codes))
        return [r["code"] for r in rows]

    async def register_for_lottery(self, campaign_id: str, worker_id: str, salt: str) -> str:
        """The registration's salt (the first one, if the worker registered before)."""
        return await self.pool.fetchval(
            self.q["register_for_lottery"], campaign_id, worker_id, salt
        )

    async def lottery_registrants(self, campaign_id: str) -> list[tuple[str, str]]:
        """(worker id, salt) of every registrant."""
        rows = await self.pool.fetch(self.q["lottery_registrants"], campaign_id)
        return [(r["worker_id"], r["salt"]) for r in rows]

    async def insert_lottery_commitment(
        self, campaign_id: str, commitment: str, digest: str, count: int, stock: int, seed_hex: str
    ) -> None:
        await self.pool.execute(
            self.q["insert_lottery_commitment"],
            campaign_id,
            commitment,
            digest,
            count,
            stock,
            seed_hex,
        )

    async def record_lottery_draw(self, campaign_id: str, winners: list[str]) -> None:
        await self.pool.execute(self.q["record_lottery_draw"], campaign_id, winners)

    async def get_lottery(self, campaign_id: str) -> asyncpg.Record | None:
        return await self.pool.fetchrow(self.q["get_lottery"], campaign_id)

    async def due_for_expiry(self, now: datetime, limit: int) -> list[tuple[str, int]]:
        rows = await self.pool.fetch(self.q["due_for_expiry"], now, limit)
        return [(r["campaign_id"], r["serial"]) for r in rows]

    async def mark_expired(self, vouchers: Sequence[tuple[str, int]]) -> None:
        if vouchers:
            campaigns, serials = zip(*vouchers, strict=True)
            await self.pool.execute(self.q["mark_expired"], list(campaigns), list(serials))

    async def get_campaign(self, campaign_id: str) -> Campaign | None:
        row = await self.pool.fetchrow(self.q["get_campaign"], campaign_id)
        if row is None:
            return None
        base = Campaign(
            id=row["id"],
            name=row["name"],
            quota=row["quota"],
            face_value_fen=row["face_value_fen"],
            per_worker_limit=row["per_worker_limit"],
            claim_opens_at=row["claim_opens_at"],
            claim_closes_at=row["claim_closes_at"],
            valid_until=row["valid_until"],
            eligible_categories=tuple(WorkerCategory(x) for x in row["eligible_categories"]),
            merchants=tuple(row["merchants"]),
            number=row["number"],
            status=Status(row["status"]),
            version=row["version"],
        )
        return with_options(base, row["options"])

    async def revoke_voucher(
        self, campaign_id: str, serial: int, reason: str
    ) -> asyncpg.Record | None:
        return await self.pool.fetchrow(self.q["revoke_voucher"], campaign_id, serial, reason)

    async def voucher_by_serial(self, campaign_id: str, serial: int) -> asyncpg.Record | None:
        return await self.pool.fetchrow(self.q["voucher_by_serial"], campaign_id, serial)

    async def ledger_of_voucher(self, campaign_id: str, serial: int) -> list[asyncpg.Record]:
        return await self.pool.fetch(self.q["ledger_of_voucher"], campaign_id, serial)

    async def issued_claim_ids(self, claim_ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(claim_ids), 10_000):
            chunk = list(claim_ids[start : start + 10_000])
            found |= {
                r["claim_id"] for r in await self.pool.fetch(self.q["issued_claim_ids"], chunk)
            }
        return found

    async def all_campaign_ids(self) -> list[str]:
        return [r["id"] for r in await self.pool.fetch(self.q["all_campaign_ids"])]

    async def rebuild_facts(
        self, campaign_id: str
    ) -> tuple[list[VoucherFacts], list[LedgerFacts], list[str]]:
        """Vouchers, ledger entries and unused partner codes of one campaign."""
        async with self.pool.acquire() as conn:
            vouchers = await conn.fetch(self.q["rebuild_vouchers"], campaign_id)
            ledger = await conn.fetch(self.q["rebuild_ledger"], campaign_id)
            pool = await conn.fetch(self.q["unused_pool_codes"], campaign_id)
        return (
            [VoucherFacts(**dict(r)) for r in vouchers],
            [LedgerFacts(**dict(r)) for r in ledger],
            [r["code"] for r in pool],
        )

    async def campaigns_with_live_vouchers(self) -> list[str]:
        return [r["id"] for r in await self.pool.fetch(self.q["campaigns_with_live_vouchers"])]

    async def live_campaigns(self) -> list[str]:
        return [r["id"] for r in await self.pool.fetch(self.q["live_campaigns"])]

    async def campaign_id_by_number(self, number: int) -> str | None:
        return await self.pool.fetchval(self.q["campaign_by_number"], number)

    async def existing_merchants(self, ids: Sequence[str]) -> set[str]:
        return {r["id"] for r in await self.pool.fetch(self.q["existing_merchants"], list(ids))}

    async def insert_merchant(self, merchant_id: str, name: str, key_id: str, api_key: str) -> bool:
        async with self.pool.acquire() as conn, conn.transaction():
            if await conn.fetchval(self.q["insert_merchant"], merchant_id, name) is None:
                return False
            await conn.execute(
                self.q["insert_merchant_key"], key_id, merchant_id, None, hash_api_key(api_key)
            )
            return True

    async def insert_merchant_key(
        self, key_id: str, merchant_id: str, store_id: str | None, api_key: str
    ) -> bool:
        try:
            await self.pool.execute(
                self.q["insert_merchant_key"], key_id, merchant_id, store_id, hash_api_key(api_key)
            )
        except asyncpg.ForeignKeyViolationError:
            return False
        return True

    async def revoke_merchant_key(self, key_id: str, merchant_id: str) -> bool:
        return (
            await self.pool.fetchval(self.q["revoke_merchant_key"], key_id, merchant_id) is not None
        )

    async def merchant_keys(self, merchant_id: str) -> list[asyncpg.Record]:
        return await self.pool.fetch(self.q["merchant_keys"], merchant_id)

    async def merchant_by_api_key(self, api_key: str) -> asyncpg.Record | None:
        return await self.pool.fetchrow(self.q["merchant_by_key_hash"], hash_api_key(api_key))

    async def insert_ops_credential(
        self, credential_id: str, name: str, token: str, created_by: str
    ) -> None:
        await self.pool.execute(
            self.q["insert_ops_credential"], credential_id, name, hash_api_key(token), created_by
        )

    async def ops_credential_by_token(self, token: str) -> asyncpg.Record | None:
        return await self.pool.fetchrow(self.q["ops_credential_by_hash"], hash_api_key(token))

    async def ops_credentials(self) -> list[asyncpg.Record]:
        return await self.pool.fetch(self.q["ops_credentials"])

    async def revoke_ops_credential(self, credential_id: str) -> bool:
        return await self.pool.fetchval(self.q["revoke_ops_credential"], credential_id) is not None

    async def insert_store(self, merchant_id: str, store_id: str, name: str) -> bool:
        return (
            await self.pool.fetchval(self.q["insert_store"], merchant_id, store_id, name)
            is not None
        )

    async def merchant_exists(self, merchant_id: str) -> bool:
        return await self.pool.fetchval(self.q["merchant_exists"], merchant_id) is not None

    async def enrol_merchant(self, campaign_id: str, merchant_id: str) -> None:
        await self.pool.execute(self.q["enrol_merchants"], campaign_id, [merchant_id])

    async def unenrol_merchant(self, campaign_id: str, merchant_id: str) -> bool:
        return (
            await self.pool.fetchval(self.q["unenrol_merchant"], campaign_id, merchant_id)
            is not None
        )

    async def settlements(self, merchant_id: str, first: date, last: date) -> list[asyncpg.Record]:
        return await self.pool.fetch(self.q["settlements"], merchant_id, first, last)

    async def ledger_chain(self, merchant_id: str | None = None) -> list[asyncpg.Record]:
        return await self.pool.fetch(self.q["ledger_chain"], merchant_id)

    async def append_ledger(self, entries: Sequence[Entry]) -> list[Link]:
        """Chain and insert entries not yet in the ledger, in one transaction; return them."""
        if not entries:
            return []
        merchants = sorted({e.merchant_id for e in entries})
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(self.q["ensure_ledger_heads"], merchants)
            heads = {
                r["merchant_id"]: (r["seq"], r["hash"])
                for r in await conn.fetch(self.q["lock_ledger_heads"], merchants)
            }
            present = {
                r["entry_id"]
                for r in await conn.fetch(self.q["existing_entries"], [e.entry_id for e in entries])
            }
            links: list[Link] = []
            for merchant in merchants:
                new = [
                    e for e in entries if e.merchant_id == merchant and e.entry_id not in present
                ]
                chained = extend(*heads[merchant], _unique(new))
                if chained:
                    await conn.execute(
                        self.q["set_ledger_head"], merchant, chained[-1].seq, chained[-1].hash
                    )
                links += chained
            if links:
                await conn.execute(self.q["insert_ledger_entries"], *_ledger_columns(links))
            return links

    async def set_webhook(self, merchant_id: str, url: str, secret: str) -> None:
        await self.pool.execute(self.q["set_webhook"], merchant_id, url, secret)

    async def delete_webhook(self, merchant_id: str) -> bool:
        return await self.pool.fetchval(self.q["delete_webhook"], merchant_id) is not None

    async def enqueue_webhooks(self, items: Sequence[tuple[str, str, str, str]]) -> None:
        """(merchant id, event id, event type, body) for merchants that have a webhook."""
        if items:
            cols = [list(c) for c in zip(*items, strict=True)]
            await self.pool.execute(self.q["enqueue_webhooks"], *cols)

    async def lease_due_webhooks(self, limit: int, lease_s: float) -> list[asyncpg.Record]:
        return await self.pool.fetch(self.q["lease_due_webhooks"], limit, lease_s)

    async def webhook_delivered(self, merchant_id: str, event_id: str) -> None:
        await self.pool.execute(self.q["webhook_delivered"], merchant_id, event_id)

    async def webhook_failed(
        self, merchant_id: str, event_id: str, error: str, max_attempts: int, retry_in_s: float
    ) -> None:
        await self.pool.execute(
            self.q["webhook_failed"], merchant_id, event_id, error[:500], max_attempts, retry_in_s
        )

    async def webhook_deliveries(self, merchant_id: str) -> list[asyncpg.Record]:
        return await self.pool.fetch(self.q["webhook_deliveries"], merchant_id)

    async def insert_audit(
        self,
        actor: str,
        action: str,
        target: str,
        before: dict | None,
        after: dict | None,
        request_id: str | None,
    ) -> None:
        await self.pool.execute(
            self.q["insert_audit"], actor, action, target, before, after, request_id
        )

    async def list_audit(
        self, target: str | None, action: str | None, limit: int
    ) -> list[asyncpg.Record]:
        return await self.pool.fetch(self.q["list_audit"], target, action, limit)

    async def rebuild_settlement_days(self, days: Sequence[tuple[str, date]]) -> None:
        async with self.pool.acquire() as conn:
            await conn.executemany(self.q["rebuild_settlement_day"], days)

    async def upsert_workers(self, rows: Sequence[tuple[str, str, dict]]) -> tuple[int, int]:
        """Write workers whose data differs; return (created, updated)."""
        ids, cats, profiles = zip(*rows, strict=True) if rows else ((), (), ())
        written = await self.pool.fetch(
            self.q["upsert_workers"], list(ids), list(cats), list(profiles)
        )
        created = sum(1 for r in written if r["created"])
        return created, len(written) - created

    async def get_worker(self, worker_id: str) -> asyncpg.Record | None:
        return await self.pool.fetchrow(self.q["get_worker"], worker_id)

    async def upsert_vouchers(self, rows: Sequence[VoucherRow]) -> dict[str, str]:
        """Write a batch idempotently; return claim id -> the code stored for it."""
        cols = list(zip(*rows, strict=True))
        result = await self.pool.fetch(self.q["upsert_vouchers"], *[list(c) for c in cols])
        return {r["claim_id"]: r["code"] for r in result}

    async def voucher_by_claim(self, claim_id: str) -> asyncpg.Record | None:
        return await self.pool.fetchrow(self.q["voucher_by_claim"], claim_id)

    async def vouchers_of_worker(self, worker_id: str) -> list[asyncpg.Record]:
        return await self.pool.fetch(self.q["vouchers_of_worker"], worker_id)


VoucherRow = tuple[
    str, str, int, str, int, int, str, datetime, datetime, int, str | None, str | None
]


def ledger_links(rows: Sequence[asyncpg.Record]) -> list[Link]:
    return [
        Link(
            Entry(
                entry_id=r["entry_id"],
                kind=r["kind"],
                merchant_id=r["merchant_id"],
                campaign_id=r["campaign_id"],
                serial=r["serial"],
                amount_fen=r["amount_fen"],
                face_value_fen=r["face_value_fen"],
                occurred_ms=ms_from_utc(r["occurred_at"]),
                reverses=r["reverses"],
                store_id=r["store_id"],
                terminal_id=r["terminal_id"],
            ),
            r["seq"],
            r["prev_hash"],
            r["hash"],
        )
        for r in rows
    ]


def _unique(entries: Sequence[Entry]) -> list[Entry]:
    return list({e.entry_id: e for e in entries}.values())


def _ledger_columns(links: Sequence[Link]) -> list[list]:
    rows = [
        (
            l.entry.entry_id,
            l.entry.kind,
            l.entry.merchant_id,
            l.seq,
            l.entry.campaign_id,
            l.entry.serial,
            l.entry.amount_fen,
            l.entry.face_value_fen,
            l.entry.reverses,
            l.entry.store_id,
            l.entry.terminal_id,
            utc_from_ms(l.entry.occurred_ms),
            l.prev_hash,
            l.hash,
            l.entry.request_id,
        )
        for l in links
    ]
    return [list(c) for c in zip(*rows, strict=True)]


def _campaign_columns(c: Campaign) -> tuple:
    return (
        c.id,
        c.name,
        c.quota,
        c.face_value_fen,
        c.per_worker_limit,
        c.claim_opens_at,
        c.claim_closes_at,
        c.valid_until,
        list(c.eligible_categories),
    )


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def utc_from_ms(ms: int) -> datetime:
    """Exact: the ledger hashes milliseconds, so no float may round them."""
    return _EPOCH + timedelta(milliseconds=ms)


def ms_from_utc(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)
