"""What each credential role may do."""

from __future__ import annotations

from engine.domain.roles import Role, Staff


def test_operations_hold_every_duty_and_finance_staff_only_their_own():
    ops = Staff("zhou")
    preparer = Staff("li", Role.PAYOUT_PREPARER)
    approver = Staff("wang", Role.PAYOUT_APPROVER)
    assert ops.may() and ops.may(Role.PAYOUT_APPROVER) and ops.may(Role.PAYOUT_PREPARER)
    assert preparer.may(Role.PAYOUT_PREPARER) and not preparer.may(Role.PAYOUT_APPROVER)
    assert approver.may(Role.PAYOUT_APPROVER) and not approver.may(Role.PAYOUT_PREPARER)
    assert not preparer.may() and not approver.may()  # nothing else operations do


def test_a_payer_reads_its_own_statements_and_is_named_as_a_payer():
    payer = Staff("fin", Role.PAYER, "didi")
    assert payer.reads_payer("didi") and not payer.reads_payer("t3go")
    assert Staff("zhou").reads_payer("t3go")
    assert not Staff("li", Role.PAYOUT_PREPARER).reads_payer("didi")
    assert not payer.may(Role.PAYOUT_PREPARER)
    assert (payer.actor, Staff("li", Role.PAYOUT_PREPARER).actor) == ("payer:didi/fin", "ops:li")
