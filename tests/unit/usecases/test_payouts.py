"""Cash subsidies paid out in batches, over the in-memory engine: two operators, a payment
file and its digest, a bank result with a failed line, a retry and a cancellation, the
budget exact at each step."""

from __future__ import annotations

import hashlib

import pytest

from engine.domain.audit import Actor
from engine.domain.tokens import WorkerIdentity
from engine.errors import Conflict, IdempotencyKeyReused, NotFound, ValidationFailed
from tests.helpers.memory import OPS, World

ALICE, BOB = Actor("ops:alice"), Actor("ops:bob")


async def paid_world(workers: int) -> tuple[World, str, list[str]]:
    w = World()
    await w.merchant("payroll")
    c = await w.campaign(
        quota=workers, face_value_fen=50_000, budget_fen=workers * 50_000, payout=True,
        merchants=("payroll",),
    )  # fmt: skip
    claims = []
    for i in range(workers):
        await w.engine.workers.register(
            f"w{i}", {"category": "courier", "bank_account": f"6222{i:08d}"}
        )
        who = WorkerIdentity(f"w{i}")
        claims.append((await w.engine.claims.claim(c.id, who, "k")).claim_id)
    await w.stream()
    return w, c.id, claims


async def used(w: World, cid: str) -> int:
    return int((await w.engine.stats.campaign(cid))["budget_used_fen"])


def result(lines: list[tuple[str, str]]) -> str:
    rows = ["payout_id,amount_fen,status,reason"] + [f"{p},50000,{s},{r}" for p, s, r in lines]
    return "\n".join(rows) + "\n"


async def test_a_batch_is_approved_by_another_exported_and_settled_by_the_banks_file():
    w, cid, claims = await paid_world(3)
    payouts = w.engine.payouts
    batch = await payouts.prepare(cid, "pb-1", 10, ALICE)
    assert [p["payout_id"] for p in batch["payouts"]] == sorted(claims)
    assert (await payouts.prepare(cid, "pb-1", 10, ALICE))["payouts"] == batch["payouts"]
    other = await w.campaign(payout=True, merchants=("payroll",))
    with pytest.raises(IdempotencyKeyReused):  # the key made a batch of another campaign
        await payouts.prepare(other.id, "pb-1", 10, ALICE)
    with pytest.raises(Conflict):
        await payouts.payment_file("pb-1", ALICE)  # not approved yet
    with pytest.raises(Conflict):
        await payouts.approve("pb-1", ALICE)  # who prepared it
    await payouts.approve("pb-1", BOB)
    text, digest = await payouts.payment_file("pb-1", BOB)
    assert hashlib.sha256(text.encode()).hexdigest() == digest
    assert (await payouts.payment_file("pb-1", BOB)) == (text, digest)

    first, *rest = sorted(claims)
    with pytest.raises(ValidationFailed, match="lacks"):
        await payouts.import_result("pb-1", result([(first, "paid", "")]), BOB)
    lines = [(first, "failed", "account closed")] + [(p, "paid", "") for p in rest]
    settled = await payouts.import_result("pb-1", result(lines), BOB)
    assert settled["state"] == "settled"
    await w.stream()
    totals = (await payouts.totals(cid))["by_state"]
    assert (totals["paid"]["payouts"], totals["failed"]["fen"]) == (2, 50_000)
    assert await used(w, cid) == 150_000  # the failed one is still owed

    await payouts.retry(first, ALICE)
    with pytest.raises(Conflict):
        await payouts.retry(first, ALICE)  # pending now, not failed
    cancelled = await payouts.cancel(first, ALICE)
    assert cancelled["state"] == "cancelled"
    assert await used(w, cid) == 100_000
    with pytest.raises(Conflict):
        await payouts.cancel(rest[0], ALICE)  # paid: it cannot be cancelled
    with pytest.raises(NotFound):
        await payouts.cancel("nobody", OPS)
