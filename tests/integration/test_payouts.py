"""Cash subsidies paid out in batches, through the API on the real stack: two operators (one
prepares, another approves), a payment file with its digest, a bank result file with a
failed line, a retry and a cancellation, and the budget exact after each step."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io

import pytest

from tests.helpers.api import assert_problem, redeemable_code
from tests.helpers.books import ledger_rows_when
from tests.helpers.waiting import wait_for
from tests.integration.engine_procs import assert_reconciled

SUBSIDY = 50_000  # 500 yuan, the first-job subsidy


async def operator(http, factory, name: str, role: str = "ops") -> dict[str, str]:
    body = {"name": name, "role": role}
    r = await http.post("/v1/ops/credentials", json=body, headers=factory.ops)
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


async def budget_used(http, factory, cid: str) -> int:
    r = await http.get(f"/v1/ops/campaigns/{cid}/stats", headers=factory.ops)
    return int(r.json()["budget_used_fen"])


async def by_state(http, factory, cid: str) -> dict[str, tuple[int, int]]:
    r = await http.get(f"/v1/ops/campaigns/{cid}/payouts", headers=factory.ops)
    assert r.status_code == 200, r.text
    return {s: (x["payouts"], x["fen"]) for s, x in r.json()["by_state"].items() if x["payouts"]}


def result_file(lines: list[tuple[str, int, str, str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("payout_id", "amount_fen", "status", "reason"))
    writer.writerows(lines)
    return out.getvalue()


async def run_batch(http, factory, cid, key, preparer, approver, outcome) -> dict:
    """Prepare, approve, export and import one batch; `outcome` says paid or failed."""
    url = f"/v1/ops/campaigns/{cid}/payout-batches"
    made = await http.post(url, json={}, headers=preparer | {"Idempotency-Key": key})
    assert made.status_code == 201, made.text
    batch = made.json()
    base = f"/v1/ops/payout-batches/{batch['batch_id']}"
    approved = await http.post(f"{base}/approve", headers=approver)
    assert approved.status_code == 200, approved.text
    exported = await http.get(f"{base}/payment-file", headers=preparer)
    assert exported.status_code == 200, exported.text
    digest = hashlib.sha256(exported.content).hexdigest()
    assert exported.headers["X-Content-SHA256"] == digest
    lines = [
        (p["payout_id"], p["amount_fen"], *outcome(p)) for p in batch["payouts"]
    ]  # fmt: skip
    answered = await http.put(
        f"{base}/bank-result",
        content=result_file(lines),
        headers=preparer | {"Content-Type": "text/csv"},
    )
    assert answered.status_code == 200, answered.text
    return answered.json()


@pytest.mark.usefixtures("issuing")
async def test_a_payout_batch_runs_end_to_end_and_the_budget_stays_exact(
    http, factory, db, stack_env
):
    payroll, _ = await factory.merchant()
    campaign = await factory.campaign(
        quota=5, face_value_fen=SUBSIDY, budget_fen=5 * SUBSIDY, payout=True, merchants=[payroll]
    )
    cid = campaign["id"]
    workers = await factory.workers(5)
    for i, w in enumerate(workers):
        body = {"id": w, "category": "courier", "bank_account": f"62220200000000{i:04d}"}
        assert (await http.post("/v1/workers", json=body, headers=factory.ops)).status_code in (
            200,
            201,
        )
    claims = {}
    for w in workers:
        r = await http.post(f"/v1/campaigns/{cid}/claims", headers=factory.worker_headers(w, "k"))
        assert r.status_code == 201, r.text
        claims[w] = r.json()["claim_id"]
    for w, claim_id in claims.items():
        await redeemable_code(http, factory, w, claim_id)
    assert await budget_used(http, factory, cid) == 5 * SUBSIDY
    # Finance staff: alice prepares, bob approves; each credential holds one duty.
    alice = await operator(http, factory, "alice", "payout-preparer")
    bob = await operator(http, factory, "bob", "payout-approver")
    alice_ops = await operator(http, factory, "alice")  # the same person, as operations

    # Prepared by one person; the same person cannot approve it.
    made = await http.post(
        f"/v1/ops/campaigns/{cid}/payout-batches", json={"max_payouts": 4},
        headers=alice | {"Idempotency-Key": "pb-1"},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    first = made.json()
    assert (first["state"], len(first["payouts"]), first["prepared_by"]) == (
        "prepared",
        4,
        "ops:alice",
    )
    again = await http.post(
        f"/v1/ops/campaigns/{cid}/payout-batches", json={"max_payouts": 4},
        headers=alice | {"Idempotency-Key": "pb-1"},
    )  # fmt: skip
    assert again.json()["payouts"] == first["payouts"]  # the same batch, not another
    base = f"/v1/ops/payout-batches/{first['batch_id']}"
    assert_problem(await http.get(f"{base}/payment-file", headers=alice), 409)  # not approved
    assert_problem(await http.post(f"{base}/approve", headers=alice), 403)  # not her duty
    assert_problem(await http.post(f"{base}/approve", headers=alice_ops), 409)  # she prepared it
    prepare = f"/v1/ops/campaigns/{cid}/payout-batches"
    assert_problem(await http.post(prepare, json={}, headers=bob | {"Idempotency-Key": "x"}), 403)
    assert (await http.post(f"{base}/approve", headers=bob)).json()["approved_by"] == "ops:bob"
    assert_problem(await http.get(f"{base}/payment-file", headers=bob), 403)
    exported = await http.get(f"{base}/payment-file", headers=alice)
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0] == ["payout_id", "worker_id", "account", "amount_fen"] and len(rows) == 5
    assert (await http.get(f"{base}/payment-file", headers=alice)).content == exported.content

    # A result file that breaks a rule changes nothing; then one with a failed line.
    failing = first["payouts"][0]["payout_id"]
    lines = [(p["payout_id"], SUBSIDY, "paid", "") for p in first["payouts"]]
    wrong = [(failing, SUBSIDY + 1, "paid", "")] + lines[1:]
    bad = await http.put(f"{base}/bank-result", content=result_file(wrong),
                         headers=alice | {"Content-Type": "text/csv"})  # fmt: skip
    assert_problem(bad, 422)
    assert "line 2" in bad.json()["detail"]
    lines[0] = (failing, SUBSIDY, "failed", "account closed")
    settled = await http.put(f"{base}/bank-result", content=result_file(lines),
                             headers=alice | {"Content-Type": "text/csv"})  # fmt: skip
    assert settled.status_code == 200, settled.text
    assert settled.json()["state"] == "settled"
    assert await by_state(http, factory, cid) == {
        "paid": (3, 3 * SUBSIDY), "failed": (1, SUBSIDY), "pending": (1, SUBSIDY)
    }  # fmt: skip
    assert await budget_used(http, factory, cid) == 5 * SUBSIDY  # a failed payout is still owed

    async def ledger_rows():
        n = await db.fetchval("SELECT count(*) FROM ledger WHERE campaign_id = $1", cid)
        return n if n == 3 else None

    await wait_for(ledger_rows)  # each paid payout is a redemption by the payroll merchant

    # The failed one is tried again with the one left, and paid; then one more fails and
    # is cancelled: its amount goes back to the budget.
    retried = await http.post(f"/v1/ops/payouts/{failing}/retry", headers=alice)
    assert retried.json()["state"] == "pending"
    second = await run_batch(
        http, factory, cid, "pb-2", alice, bob,
        lambda p: ("paid", "") if p["payout_id"] == failing else ("failed", "name mismatch"),
    )  # fmt: skip
    [lost] = [p["payout_id"] for p in second["payouts"] if p["payout_id"] != failing]
    assert_problem(await http.post(f"/v1/ops/payouts/{failing}/cancel", headers=alice), 409)
    cancelled = await http.post(f"/v1/ops/payouts/{lost}/cancel", headers=alice)
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert await by_state(http, factory, cid) == {
        "paid": (4, 4 * SUBSIDY), "cancelled": (1, SUBSIDY)
    }  # fmt: skip
    assert await budget_used(http, factory, cid) == 4 * SUBSIDY

    audit = await db.fetch("SELECT action FROM audit_log WHERE action LIKE 'payouts.%'")
    assert {a["action"] for a in audit} >= {
        "payouts.prepare", "payouts.approve", "payouts.export", "payouts.import",
        "payouts.retry", "payouts.cancel",
    }  # fmt: skip
    await wait_for(lambda: ledger_rows_when(db, cid, 4))
    await asyncio.to_thread(assert_reconciled, stack_env, "--campaign", cid)
