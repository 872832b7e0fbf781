"""The chaos run's pure parts: a seeded schedule, and a checker that finds each kind of
broken promise in made-up books."""

from __future__ import annotations

from itertools import pairwise

from engine.chaos.checker import Books, Programme, check
from engine.chaos.clients import Answer
from engine.chaos.schedule import CLUSTER, SINGLE, schedule
from engine.domain.admission import claim_id_for, redemption_id_for

CID, M = "c1", "m1"
PROGRAMMES = {CID: Programme(quota=2, per_worker_limit=1, face_value_fen=1_000)}


def test_the_same_seed_gives_the_same_faults_one_at_a_time():
    a, b = schedule(7, 120, cluster=False), schedule(7, 120, cluster=False)
    assert a == b and len(a) >= 5
    assert {f.kind for f in a} <= set(SINGLE)
    for first, second in pairwise(a):
        assert first.at_s + first.down_s < second.at_s  # healed before the next
    assert a[-1].at_s + a[-1].down_s <= 120
    assert {f.kind for f in schedule(7, 600, cluster=True)} <= set(CLUSTER)
    assert schedule(8, 120, cluster=False) != a


def _claim(worker: str, status: int) -> Answer:
    body = {"claim_id": claim_id_for(CID, worker, "k")} if status == 201 else {}
    return Answer("claim", worker, "k", CID, {}, status, body)


def _books(vouchers, ledger=None, balances=None) -> Books:
    ledger = ledger or {}
    balances = balances or {(CID, s): 1_000 for _, s, _ in vouchers.values()}
    return Books(vouchers, ledger, balances)


def broken(verdict) -> set[str]:
    return {promise for promise, ok, _ in verdict.lines if not ok}


def test_books_that_keep_every_promise_pass():
    answers = [_claim("w1", 201), _claim("w2", 410)]
    books = _books({answers[0].body["claim_id"]: (CID, 1, "w1")})
    assert check(answers, books, PROGRAMMES, M, []).ok


def test_each_broken_promise_is_found():
    lost = _claim("w1", 201)
    assert "every 201 claim has exactly one voucher" in broken(
        check([lost], _books({}), PROGRAMMES, M, [])
    )
    refused = _claim("w2", 410)
    made = {claim_id_for(CID, "w2", "k"): (CID, 1, "w2")}
    assert "every 4xx changed nothing" in broken(check([refused], _books(made), PROGRAMMES, M, []))
    twice = {"a": (CID, 1, "w1"), "b": (CID, 1, "w2"), "c": (CID, 2, "w3")}
    assert "no unit is sold twice, and no campaign past its quota" in broken(
        check([], _books(twice), PROGRAMMES, M, [])
    )
    greedy = {"a": (CID, 1, "w1"), "b": (CID, 2, "w1")}
    assert "no worker holds more than the limit" in broken(
        check([], _books(greedy), PROGRAMMES, M, [])
    )
    redeemed = Answer("redemption", M, "r", CID, {}, 201, {})
    one = {"a": (CID, 1, "w1")}
    assert "every 201 redemption and reversal has exactly one ledger row" in broken(
        check([redeemed], _books(one), PROGRAMMES, M, [])
    )
    overspent = {redemption_id_for(CID, M, "r"): (CID, 1, 1_200)}
    assert "no balance is negative, and Redis agrees with the ledger" in broken(
        check([redeemed], _books(one, overspent, {(CID, 1): -200}), PROGRAMMES, M, [])
    )
    assert "reconcile finds no difference" in broken(check([], _books({}), PROGRAMMES, M, ["x"]))
