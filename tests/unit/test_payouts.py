"""A payout batch end to end in the domain (engine/domain/payouts.py): two people, a
payment file, a bank result with failed lines, a retry and a cancellation, and the
budget exact after each step."""

from __future__ import annotations

import hashlib

import pytest

from engine.domain.payouts import (
    BankResult,
    BatchState,
    Payout,
    PayoutState,
    approve,
    cancel,
    committed_fen,
    payment_file,
    prepare,
    read_bank_result,
    retry,
    settle,
)
from engine.errors import Conflict, ValidationFailed

# The first-job subsidy: at least 500 yuan each.
OWED = [Payout(f"p{i}", f"w{i}", f"6222-{i:04d}", 50_000 + i) for i in range(4)]
BUDGET = sum(p.amount_fen for p in OWED)


def exported() -> tuple:
    batch, held = prepare("b1", OWED, "ops:alice")
    batch = approve(batch, "ops:bob")
    batch, text, digest = payment_file(batch, held)
    return batch, held, text, digest


def test_a_batch_runs_from_preparation_to_the_banks_result_with_the_budget_exact():
    batch, held = prepare("b1", OWED, "ops:alice")
    assert committed_fen(held) == BUDGET
    assert {p.state for p in held} == {PayoutState.IN_BATCH}
    with pytest.raises(Conflict):  # the one who prepared it cannot approve it
        approve(batch, "ops:alice")
    with pytest.raises(Conflict):  # nor can it be exported unapproved
        payment_file(batch, held)
    batch = approve(batch, "ops:bob")
    batch, text, digest = payment_file(batch, held)
    assert batch.state == BatchState.EXPORTED
    assert text.splitlines()[1] == "p0,w0,6222-0000,50000"
    assert digest == hashlib.sha256(text.encode()).hexdigest()

    result = (
        "payout_id,amount_fen,status,reason\n"
        "p0,50000,paid,\n"
        "p1,50001,failed,account closed\n"
        "p2,50002,paid,\n"
        "p3,50003,failed,name mismatch\n"
    )
    results = read_bank_result(result, batch, held)
    batch, settled = settle(batch, held, results)
    assert batch.state == BatchState.SETTLED
    states = {p.payout_id: p.state for p in settled}
    assert states == {"p0": "paid", "p1": "failed", "p2": "paid", "p3": "failed"}
    assert committed_fen(settled) == BUDGET  # a failed payout is still owed

    by_id = {p.payout_id: p for p in settled}
    again = retry(by_id["p1"])
    dropped = cancel(by_id["p3"])
    assert (again.state, again.batch_id) == (PayoutState.PENDING, None)
    after = [by_id["p0"], again, by_id["p2"], dropped]
    assert committed_fen(after) == BUDGET - 50_003  # the cancelled amount is back
    second, held2 = prepare("b2", [again], "ops:carol")
    assert second.payout_ids == ("p1",) and held2[0].batch_id == "b2"
    with pytest.raises(Conflict):
        retry(by_id["p0"])  # a paid payout is never paid twice
    with pytest.raises(Conflict):
        cancel(by_id["p0"])


@pytest.mark.parametrize(
    "lines, words",
    [
        (["p0,50000,paid,", "p1,50001,paid,", "p2,50002,paid,"], "lacks 1"),
        (["p0,50000,paid,", "p0,50000,paid,"], "twice"),
        (["p0,49999,paid,"], "amount"),
        (["p0,50000,maybe,"], "status"),
        (["p9,50000,paid,"], "not in batch"),
        (["p0,50000,paid"], "columns"),
    ],
)
def test_a_bank_result_that_does_not_match_the_batch_is_refused_with_its_line(lines, words):
    batch, held, _, _ = exported()
    text = "payout_id,amount_fen,status,reason\n" + "\n".join(lines)
    with pytest.raises(ValidationFailed, match=words):
        read_bank_result(text, batch, held)


def test_a_result_file_without_its_header_is_refused():
    batch, held, _, _ = exported()
    with pytest.raises(ValidationFailed, match="header"):
        read_bank_result("p0,50000,paid,\n", batch, held)


def test_only_pending_payouts_go_into_a_batch_and_results_only_after_export():
    batch, held = prepare("b1", OWED[:1], "ops:alice")
    with pytest.raises(Conflict):
        prepare("b2", held, "ops:alice")  # already in a batch
    with pytest.raises(ValidationFailed):
        prepare("b3", [], "ops:alice")
    with pytest.raises(Conflict):
        settle(batch, held, [BankResult("p0", True)])
