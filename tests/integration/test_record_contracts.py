"""One suite of cases for the system of record's ports, run against PostgreSQL itself and
against the in-memory records (engine/adapters/memory): each answers records of the domain
(engine/domain/listings.py), so a query whose columns drift from its record fails here
rather than in a page, and the memory records cannot drift from the queries."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from engine.adapters import postgres
from engine.adapters.memory import MemoryRecords
from engine.domain.api_keys import MerchantIdentity
from engine.domain.audit import Actor, AuditEntry
from engine.domain.clock import SystemClock
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
from engine.domain.profiles import WorkerRecord
from engine.domain.roles import Role, Staff
from engine.domain.short_codes import short_code_of
from engine.domain.stations import Station
from engine.domain.vouchers import VoucherRow
from engine.usecases.ports.stores import SystemOfRecord
from tests.factories import domain_campaign


@pytest.fixture(params=["memory", "postgres"])
async def records(request, settings) -> AsyncIterator[SystemOfRecord]:
    if request.param == "memory":
        yield MemoryRecords(SystemClock())
        return
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
    await records.insert_ops_credential(credential_id, Staff(name), token, "ops:bootstrap")
    assert await records.ops_credential_staff(token) == Staff(name)
    assert await records.ops_credential_staff("nxo_wrong") is None
    mine = [c for c in await records.ops_credentials() if c.credential_id == credential_id]
    assert mine and isinstance(mine[0], OpsCredential) and mine[0].created_by == "ops:bootstrap"
    payer, payer_token = Staff(unique("fin"), Role.PAYER, "didi"), f"nxo_{uuid.uuid4().hex}"
    await records.insert_ops_credential(unique("cred"), payer, payer_token, "ops:bootstrap")
    assert await records.ops_credential_staff(payer_token) == payer

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
    # Noon of the union's day: the entries below share its day whenever the test runs.
    at = union_day_bounds(union_day(datetime.now(UTC)))[0] + timedelta(hours=12)
    redeemed = Entry(
        unique("r"), "redemption", merchant, campaign.id, 4, 300, 300, int(at.timestamp() * 1000)
    )
    reversed_ = Entry(
        unique("v"),
        "reversal",
        merchant,
        campaign.id,
        4,
        -100,
        300,
        int((at + timedelta(seconds=1)).timestamp() * 1000),
        reverses=redeemed.entry_id,
    )
    day = union_day(at)
    hooks = [(merchant, redeemed.entry_id, "voucher.redeemed", '{"serial": 4}')]
    links = await records.record_ledger([redeemed, reversed_], hooks)
    assert len(links) == 2
    assert await records.record_ledger([redeemed, reversed_], hooks) == []  # a replay

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

    # The statement adds each entry new to the ledger once: the replay above added nothing.
    later = replace(
        redeemed,
        entry_id=unique("r"),
        serial=5,
        amount_fen=50,
        occurred_ms=redeemed.occurred_ms + 2000,
    )
    assert len(await records.record_ledger([redeemed, later], [])) == 1
    assert await records.settlements(merchant, day, day) == [
        SettlementDay(merchant, day, 2, 350, 1, 100, 250)
    ]


async def test_a_due_webhook_is_leased_with_its_secret_kept_out_of_its_repr(records):
    campaign = domain_campaign(prefix="records")
    await records.insert_campaign(campaign)
    merchant = unique("m")
    assert await records.insert_merchant(merchant, "加油站", unique("k"), f"nxm_{uuid.uuid4()}")
    await records.set_webhook(merchant, "https://example.org/hook", "s3cret")
    at = int(datetime.now(UTC).timestamp() * 1000)
    redeemed = Entry(unique("r"), "redemption", merchant, campaign.id, 4, 300, 300, at)
    hooks = [(merchant, redeemed.entry_id, "voucher.redeemed", '{"serial": 4}')]
    # Recorded and leased in one transaction: the stack's own webhook sender, leasing from
    # the same database, cannot take it first; and every delivery due is asked for, since
    # others' undelivered ones (to hosts no test reaches) may be older.
    async with records.transaction():
        await records.record_ledger([redeemed], hooks)
        leased = await records.lease_due_webhooks(1_000_000, 60)
    due = [d for d in leased if d.merchant_id == merchant]
    assert due and isinstance(due[0], DueWebhook) and due[0].secret == "s3cret"
    assert "s3cret" not in repr(due[0])  # a record logged by mistake keeps the secret out


async def test_revoking_a_voucher_that_does_not_exist_names_nobody(records):
    campaign = domain_campaign(prefix="records")
    await records.insert_campaign(campaign)
    assert await records.revoke_voucher(campaign.id, 999, "test") is None


async def test_a_campaign_is_numbered_once_and_changed_only_from_the_version_read(records):
    campaign = domain_campaign(prefix="records")
    number = await records.insert_campaign(campaign)
    assert number is not None and await records.insert_campaign(campaign) is None
    assert await records.campaign_id_by_number(number) == campaign.id
    stored = await records.get_campaign(campaign.id)
    assert stored is not None and (stored.number, stored.version) == (number, 1)
    assert await records.update_campaign(replace(stored, quota=7), 1) == 2
    assert await records.update_campaign(replace(stored, quota=9), 1) is None  # stale read
    again = await records.get_campaign(campaign.id)
    assert again is not None and (again.quota, again.version) == (7, 2)
    assert await records.valid_until_of_version(campaign.id, 2) == campaign.valid_until
    assert await records.set_campaign_status(campaign.id, "paused", "open")
    assert not await records.set_campaign_status(campaign.id, "closed", "open")
    assert campaign.id in await records.live_campaigns()
    assert campaign.id in await records.all_campaign_ids()
    merchant = unique("m")
    assert await records.insert_merchant(merchant, "店", unique("k"), f"nxm_{uuid.uuid4()}")
    await records.enrol_merchant(campaign.id, merchant)
    assert await records.unenrol_merchant(campaign.id, merchant)
    assert not await records.unenrol_merchant(campaign.id, merchant)
    assert await records.insert_partner_codes(campaign.id, ["A1", "A2"]) == ["A1", "A2"]
    assert await records.insert_partner_codes(campaign.id, ["A2", "A3"]) == ["A3"]


async def test_a_voucher_is_written_once_and_its_ledger_counts_against_it(records):
    campaign = domain_campaign(prefix="records")
    await records.insert_campaign(campaign)
    claim = unique("c")
    at = datetime.now(UTC).replace(microsecond=0)
    # Due only at a day's end, so the running expiry sweep (which asks with the time now)
    # cannot take it first; this test asks as of that moment.
    until = at + timedelta(days=1)
    row: VoucherRow = (
        claim,
        campaign.id,
        5,
        "w1",
        300,
        1,
        "code-1",
        until,
        at,
        1,
        None,
        "req-1",
        None,
    )
    assert await records.upsert_vouchers([row]) == [(claim, "code-1")]
    replay = (*row[:6], "code-2", *row[7:])
    assert await records.upsert_vouchers([replay]) == [(claim, "code-1")]  # the first stands
    assert await records.issued_claim_ids([claim, "nope"]) == {claim}
    voucher = await records.voucher_by_serial(campaign.id, 5)
    assert voucher is not None and (voucher.claim_id, voucher.used_fen) == (claim, 0)
    assert (campaign.id, 5) not in await records.due_for_expiry(at, 100_000)
    assert (campaign.id, 5) in await records.due_for_expiry(until, 100_000)
    await records.mark_expired([(campaign.id, 5)])
    assert (campaign.id, 5) not in await records.due_for_expiry(until, 100_000)
    assert await records.revoke_voucher(campaign.id, 5, "fraud") == "w1"
    facts, ledger, unused = await records.rebuild_facts(campaign.id)
    assert [(f.claim_id, f.expired, f.revoked_reason) for f in facts] == [(claim, True, "fraud")]
    assert ledger == [] and unused == []
    assert [v.claim_id for v in await records.vouchers_of_worker("w1") if v.claim_id == claim]


async def test_a_short_code_names_its_voucher_and_a_discount_spends_it_whole(records):
    campaign = domain_campaign(prefix="records")
    await records.insert_campaign(campaign)
    merchant, claim, code = unique("m"), unique("c"), f"code-{uuid.uuid4().hex}"
    assert await records.insert_merchant(merchant, "地铁", unique("k"), f"nxm_{uuid.uuid4()}")
    at = datetime.now(UTC).replace(microsecond=0)
    # Valid for a day: an expiry sweep of the shared database must not take it mid-test.
    until = at + timedelta(days=1)
    row: VoucherRow = (claim, campaign.id, 6, "w2", 300, 1, code, until, at, 1, None, None, None)
    await records.upsert_vouchers([row])
    assert await records.codes_by_short_code(short_code_of(code)) == [code]
    assert await records.codes_by_short_code(short_code_of(code + "x")) == []

    ms = int(at.timestamp() * 1000)
    granted = Entry(
        unique("r"), "redemption", merchant, campaign.id, 6, 120, 300, ms, order_fen=240
    )
    await records.record_ledger([granted], [])
    voucher = await records.voucher_by_serial(campaign.id, 6)
    assert voucher is not None and (voucher.used_fen, voucher.status.value) == (300, "redeemed")
    back = replace(
        granted, entry_id=unique("v"), kind="reversal", amount_fen=-120, occurred_ms=ms + 1
    )
    await records.record_ledger([replace(back, reverses=granted.entry_id)], [])
    voucher = await records.voucher_by_serial(campaign.id, 6)
    assert voucher is not None and (voucher.used_fen, voucher.status.value) == (0, "issued")
    _, ledger, _ = await records.rebuild_facts(campaign.id)
    assert sorted((f.amount_fen, f.order_fen) for f in ledger) == [(-120, 240), (120, 240)]
    assert first_break(await records.ledger_chain(merchant)) is None


async def test_workers_are_written_only_when_they_differ(records):
    worker = unique("w")
    first = WorkerRecord(worker, "courier", {"category": "courier"})
    assert await records.upsert_workers([first]) == (1, 0)
    assert await records.upsert_workers([first]) == (0, 0)
    changed = WorkerRecord(worker, "driver", {"category": "driver"})
    assert await records.upsert_workers([changed]) == (0, 1)
    assert await records.get_worker(worker) == changed
    since = datetime.now(UTC) - timedelta(seconds=5)
    await records.revoke_worker_tokens(worker, 100)
    await records.revoke_worker_tokens(worker, 50)  # never lowered
    mine = [r for r in await records.token_revocations_since(since) if r[0] == worker]
    assert [r[1] for r in mine] == [100]


async def test_a_lottery_keeps_the_first_salt_commitment_and_draw(records):
    campaign = domain_campaign(prefix="records")
    await records.insert_campaign(campaign)
    assert await records.register_for_lottery(campaign.id, "w1", "s1") == "s1"
    assert await records.register_for_lottery(campaign.id, "w1", "s2") == "s1"
    assert await records.lottery_registrants(campaign.id) == [("w1", "s1")]
    assert await records.insert_lottery_commitment(campaign.id, "c", "d", 1, 1, "ab")
    assert not await records.insert_lottery_commitment(campaign.id, "x", "y", 2, 2, "cd")
    await records.record_lottery_draw(campaign.id, ["w1"])
    draw = await records.get_lottery(campaign.id)
    assert draw is not None and (draw.commitment, draw.winners) == ("c", ["w1"])
    assert draw.drawn_at is not None


async def test_a_failed_webhook_is_tried_again_until_its_attempts_run_out(records):
    merchant = unique("m")
    assert await records.insert_merchant(merchant, "店", unique("k"), f"nxm_{uuid.uuid4()}")
    assert await records.existing_merchants([merchant, "nobody"]) == {merchant}
    assert await records.insert_store(merchant, "s1", "一号店")
    assert not await records.insert_store(merchant, "s1", "一号店")
    await records.set_webhook(merchant, "https://example.org/hook", "s3cret")
    campaign = domain_campaign(prefix="records")
    await records.insert_campaign(campaign)
    entry = Entry(unique("r"), "redemption", merchant, campaign.id, 1, 300, 300, 1_700_000_000_000)
    hook = [(merchant, entry.entry_id, "voucher.redeemed", "{}")]
    await records.record_ledger([entry], hook)
    await records.record_ledger([entry], hook)  # a replay queues nothing twice
    await records.webhook_failed(merchant, entry.entry_id, "timeout", 2, 0)
    [delivery] = await records.webhook_deliveries(merchant)
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("pending", 1, "timeout")
    await records.webhook_failed(merchant, entry.entry_id, "timeout", 2, 0)
    [delivery] = await records.webhook_deliveries(merchant)
    assert (delivery.status, delivery.attempts) == ("failed", 2)
    assert await records.delete_webhook(merchant) and not await records.delete_webhook(merchant)


async def test_stations_are_kept_renamed_moved_once_and_closed(records):
    campaign = domain_campaign(prefix="records", stations=True)
    await records.insert_campaign(campaign)
    first = [
        Station("b", "乙站", "姑苏区", "", stock=2),
        Station("a", "甲站", "吴中区", "", stock=1),
    ]
    await records.add_stations(campaign.id, first)
    await records.add_stations(campaign.id, [Station("a", "甲站新址", "吴中区", "东路", stock=9)])
    kept = await records.stations_of(campaign.id)
    assert [(s.station_id, s.name, s.stock, s.open) for s in kept] == [
        ("a", "甲站新址", 1, True),  # renamed; its stock changes only by moves
        ("b", "乙站", 2, True),
    ]
    assert await records.record_move(campaign.id, "mv-1", "b", "a", 2)
    assert not await records.record_move(campaign.id, "mv-1", "b", "a", 2)
    assert await records.close_station(campaign.id, "b")
    assert not await records.close_station(campaign.id, "nowhere")
    moved = {s.station_id: (s.stock, s.open) for s in await records.stations_of(campaign.id)}
    assert moved == {"a": (3, True), "b": (0, False)}
    assert await records.station_pickups(campaign.id) == {}
