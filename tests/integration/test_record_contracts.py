"""The system of record's listing ports against PostgreSQL itself: each answers records of
the domain (engine/domain/listings.py), decoded from the rows the named queries return,
so a query whose columns drift from its record fails here rather than in a page."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from engine.adapters import postgres
from engine.domain.api_keys import MerchantIdentity
from engine.domain.audit import Actor, AuditEntry
from engine.domain.ledger import Entry, first_break
from engine.domain.listings import (
    AuditRecord,
    DueWebhook,
    MerchantKey,
    OpsCredential,
    SettlementDay,
    TillRedemption,
    VoucherLedgerEntry,
    document,
)
from engine.domain.periods import union_day, union_day_bounds
from tests.factories import domain_campaign


@pytest.fixture
async def records(settings) -> AsyncIterator[postgres.Database]:
    db = await postgres.connect(settings.database_url.get_secret_value(), 2)
    yield db
    await db.close()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def test_merchant_keys_list_as_records_and_a_key_names_who_holds_it(records):
    merchant, key = unique("m"), f"nxm_{uuid.uuid4().hex}"
    assert await records.insert_merchant(merchant, "书店", unique("k"), key)
    assert await records.insert_store(merchant, "s1", "一号店")
    store_key = f"nxm_{uuid.uuid4().hex}"
    assert await records.insert_merchant_key("k-store", merchant, "s1", store_key)

    who = await records.merchant_by_api_key(store_key)
    assert who == MerchantIdentity(merchant, "s1", "k-store")
    assert await records.merchant_by_api_key("nxm_wrong") is None
    keys = await records.merchant_keys(merchant)
    assert [type(k) for k in keys] == [MerchantKey, MerchantKey]
    assert {k.store_id for k in keys} == {None, "s1"} and all(k.revoked_at is None for k in keys)

    assert await records.revoke_merchant_key("k-store", merchant) is not None
    assert await records.merchant_by_api_key(store_key) is None
    revoked = [k for k in await records.merchant_keys(merchant) if k.key_id == "k-store"]
    assert revoked[0].revoked_at is not None
    assert document(revoked[0])["revoked_at"] == revoked[0].revoked_at.isoformat()


async def test_ops_credentials_and_the_audit_log_list_as_records(records):
    name, token = unique("ops"), f"nxo_{uuid.uuid4().hex}"
    credential_id = unique("cred")
    await records.insert_ops_credential(credential_id, name, token, "ops:bootstrap")
    assert await records.ops_credential_name(token) == name
    assert await records.ops_credential_name("nxo_wrong") is None
    mine = [c for c in await records.ops_credentials() if c.credential_id == credential_id]
    assert mine and isinstance(mine[0], OpsCredential) and mine[0].created_by == "ops:bootstrap"

    target = unique("worker:w")
    entry = AuditEntry.of(Actor(f"ops:{name}", "req-1"), "worker.note", target, after={"a": 1})
    await records.insert_audit(entry)
    [audit] = await records.list_audit(target, None, 10)
    assert isinstance(audit, AuditRecord)
    assert (audit.actor, audit.action, audit.after, audit.request_id) == (
        f"ops:{name}",
        "worker.note",
        {"a": 1},
        "req-1",
    )
    assert await records.list_audit(target, "other.action", 10) == []


async def test_the_ledger_lists_a_till_day_statements_and_a_voucher_as_records(records):
    campaign = domain_campaign(prefix="records")
    await records.insert_campaign(campaign)
    merchant = unique("m")
    assert await records.insert_merchant(merchant, "加油站", unique("k"), f"nxm_{uuid.uuid4()}")
    await records.set_webhook(merchant, "https://example.org/hook", "s3cret")
    at = datetime.now(UTC).replace(microsecond=0)
    redeemed = Entry(
        unique("r"), "redemption", merchant, campaign.id, 4, 300, 300, int(at.timestamp() * 1000)
    )
    reversed_ = Entry(
        unique("v"), "reversal", merchant, campaign.id, 4, -100, 300,
        int((at + timedelta(seconds=1)).timestamp() * 1000), reverses=redeemed.entry_id,
    )  # fmt: skip
    day = union_day(at)
    hooks = [(merchant, redeemed.entry_id, "voucher.redeemed", '{"serial": 4}')]
    links = await records.record_ledger([redeemed, reversed_], hooks, [(merchant, day)])
    assert len(links) == 2

    start, end = union_day_bounds(day)
    [till] = await records.store_redemptions(merchant, None, start, end, 10)
    assert isinstance(till, TillRedemption)
    assert (till.redemption_id, till.amount_fen, till.reversed_fen) == (redeemed.entry_id, 300, 100)
    [statement] = await records.settlements(merchant, day, day)
    assert statement == SettlementDay(merchant, day, 1, 300, 1, 100, 200)
    history = await records.ledger_of_voucher(campaign.id, 4)
    assert [type(e) for e in history] == [VoucherLedgerEntry, VoucherLedgerEntry]
    assert [e.amount_fen for e in history] == [300, -100]
    chain = await records.ledger_chain(merchant)
    assert [link.entry.entry_id for link in chain] == [redeemed.entry_id, reversed_.entry_id]
    assert first_break(chain) is None

    [delivery] = await records.webhook_deliveries(merchant)
    assert (delivery.event_id, delivery.status) == (redeemed.entry_id, "pending")
    due = [d for d in await records.lease_due_webhooks(100, 60) if d.merchant_id == merchant]
    assert due and isinstance(due[0], DueWebhook) and due[0].secret == "s3cret"
    assert "s3cret" not in repr(due[0])  # a record logged by mistake keeps the secret out


async def test_revoking_a_voucher_that_does_not_exist_names_nobody(records):
    campaign = domain_campaign(prefix="records")
    await records.insert_campaign(campaign)
    assert await records.revoke_voucher(campaign.id, 999, "test") is None
