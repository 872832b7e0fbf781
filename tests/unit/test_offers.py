"""What the worker page offers: a claim's reasons, the lasting ones first."""

from __future__ import annotations

from datetime import date, timedelta

from engine.domain.campaigns import Lottery, Status
from engine.domain.offers import offer_for
from engine.domain.periods import union_day, union_day_bounds
from engine.domain.profiles import WorkerProfile
from engine.domain.rules import make_rule
from tests.factories import T0, campaign

DURING = T0 + timedelta(hours=1)
COURIER = WorkerProfile("w-1", {"category": "courier", "hukou_city": "Xinyang"})


def reason(c, *, category=None, profile=COURIER, at=DURING, available=5, held=0):
    if category is not None:
        profile = WorkerProfile(profile.worker_id, profile.facts | {"category": category})
    offer = offer_for(c, profile, at, available, held)
    assert offer.claimable == (offer.reason is None)
    return offer.reason, offer.failed_rule


def test_an_open_programme_with_stock_is_claimable():
    assert reason(campaign()) == (None, None)


def test_each_reason_is_the_claims_own():
    c = campaign()
    assert reason(c, category="truck_driver") == (
        "not-eligible",
        {"field": "category", "op": "in", "value": ["courier"]},
    )
    rule = make_rule({"field": "hukou_city", "op": "in", "value": ["Fuyang", "Suqian"]})
    ruled = campaign(rules=(rule,))
    assert reason(ruled) == ("not-eligible", rule.as_dict())
    assert reason(ruled, profile=WorkerProfile("w-2", {"category": "courier"}))[0] == "not-eligible"
    # No profile on record: the category is unknown, so not eligible.
    assert reason(c, profile=WorkerProfile("w-3"))[0] == "not-eligible"
    assert reason(c, at=T0 - timedelta(seconds=1))[0] == "not-open-yet"
    assert reason(c, at=c.claim_closes_at)[0] == "claim-window-closed"
    assert reason(c, held=1)[0] == "limit-reached"
    assert reason(c, available=0)[0] == "sold-out"
    assert reason(campaign(status=Status.PAUSED))[0] == "paused"
    assert reason(campaign(status=Status.CLOSED))[0] == "claim-window-closed"
    lottery = campaign(lottery=Lottery(T0 + timedelta(days=8)))
    assert reason(lottery)[0] == "registration-required"


def test_the_first_failing_check_is_the_one_shown():
    # Not eligible outranks not yet open and sold out: waiting would not cure it.
    c = campaign()
    assert reason(c, category="truck_driver", at=T0 - timedelta(days=1), available=0)[0] == (
        "not-eligible"
    )
    assert reason(c, at=T0 - timedelta(days=1), available=0)[0] == "not-open-yet"
    assert reason(c, held=1, available=0)[0] == "limit-reached"


def test_a_tills_day_is_a_day_in_beijing():
    start, end = union_day_bounds(date(2025, 1, 20))
    assert start.isoformat() == "2025-01-20T00:00:00+08:00"
    assert end - start == timedelta(days=1)
    # 17:00 UTC is already the next day in Beijing.
    assert union_day(T0.replace(hour=17)) == date(2025, 1, 21)
    assert union_day(T0.replace(hour=15, minute=59)) == date(2025, 1, 20)
