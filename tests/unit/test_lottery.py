"""The draw is a pure function of the published list and seed."""

from __future__ import annotations

from engine.domain import lottery

SEED = bytes.fromhex("11" * 32)
IDS = [f"w-{i:04d}" for i in range(500)]


def test_same_inputs_same_winners_in_any_order():
    first = lottery.draw(SEED, IDS, 50)
    assert first == lottery.draw(SEED, list(reversed(IDS)), 50)
    assert len(first) == len(set(first)) == 50 and set(first) <= set(IDS)


def test_one_changed_registration_changes_the_outcome_deterministically():
    changed = [*IDS[:-1], "w-late-entrant"]
    a, b = lottery.draw(SEED, changed, 50), lottery.draw(SEED, changed, 50)
    assert a == b
    assert lottery.registrants_digest(changed) != lottery.registrants_digest(IDS)
    # Everyone else keeps their rank: only the newcomer, or the next in line when the
    # removed entrant had won, can join the winners.
    original = lottery.draw(SEED, IDS, 50)
    next_in_line = lottery.draw(SEED, IDS, 51)[-1]
    assert set(a) - set(original) <= {"w-late-entrant", next_in_line}


def test_winners_never_exceed_stock_or_registrants():
    assert len(lottery.draw(SEED, IDS[:3], 10)) == 3
    assert lottery.draw(SEED, IDS, 0) == []
    assert len(lottery.draw(SEED, IDS + IDS, 600)) == 500  # duplicates count once


def test_verify_catches_every_kind_of_tampering():
    commitment, digest = lottery.commitment(SEED), lottery.registrants_digest(IDS)
    winners = lottery.draw(SEED, IDS, 50)
    assert lottery.verify(SEED, commitment, IDS, digest, 50, winners) == []
    assert lottery.verify(bytes(32), commitment, IDS, digest, 50, winners)
    assert lottery.verify(SEED, commitment, IDS[1:], digest, 50, winners)
    assert lottery.verify(SEED, commitment, IDS, digest, 50, [*winners[:-1], "w-9999"])
