"""Pure domain rules: identifiers, campaign checks, script answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.adapters.redis import replies
from engine.domain.admission import (
    campaign_of_claim,
    check_idempotency_key,
    claim_id_for,
    redemption_id_for,
)
from engine.domain.campaigns import WorkerCategory, check_campaign, same_definition
from engine.domain.sold_out import StockOut
from engine.errors import (
    AlreadyRedeemed,
    ClaimWindowClosed,
    Expired,
    Forbidden,
    LimitReached,
    NotEligible,
    NotFound,
    NotYetIssued,
    SoldOut,
    Unavailable,
    ValidationFailed,
)
from tests.factories import T0, campaign


def test_claim_ids_are_deterministic_and_scoped():
    a = claim_id_for("metro-2025", "w-1", "k")
    assert a == claim_id_for("metro-2025", "w-1", "k")
    assert (
        len(
            {
                a,
                claim_id_for("metro-2025", "w-2", "k"),
                claim_id_for("metro-2025", "w-1", "k2"),
                claim_id_for("fuel-2025", "w-1", "k"),
            }
        )
        == 4
    )
    assert campaign_of_claim(a) == "metro-2025"
    assert redemption_id_for("metro-2025", "m", "k") != redemption_id_for("metro-2025", "m2", "k")


@pytest.mark.parametrize("bad", ["metro", "metro.xyz", ".abc", "UPPER." + "0" * 32, "a" * 200])
def test_malformed_claim_ids_are_not_found(bad):
    with pytest.raises(NotFound):
        campaign_of_claim(bad)


@pytest.mark.parametrize("key", [None, "", "a" * 129, "has space", "tab\t", "中文"])
def test_bad_idempotency_keys(key):
    with pytest.raises(ValidationFailed):
        check_idempotency_key(key)


@pytest.mark.parametrize(
    "status,error",
    [
        (-1, Unavailable),  # no campaign state in Redis: lost and not rebuilt yet
        (-2, ClaimWindowClosed),
        (-3, NotEligible),
        (-5, LimitReached),
    ],
)
def test_admission_refusals(status, error):
    with pytest.raises(error):
        replies.admission([status])


def test_a_sold_out_answer_says_what_the_stock_refuses():
    with pytest.raises(SoldOut) as refused:
        replies.admission([-4, 0, 201, 17])
    assert refused.value.stock == StockOut(next_wave_ms=0, refuses_from_fen=201, last_serial=17)


def test_admission_answers():
    new = replies.admission([1, b"pending", 17, 300, 1893456000, 4, 1, b""])
    assert new.is_new and (new.serial, new.face_value_fen, new.campaign_number) == (17, 300, 4)
    repeat = replies.admission([2, b"acked", 17])
    assert not repeat.is_new and repeat.state == "acked"


@pytest.mark.parametrize(
    "reply,error",
    [
        ([-1], NotYetIssued),
        ([-2], Forbidden),
        ([-3, b"m", 1], AlreadyRedeemed),
        ([-4], Expired),
        ([-6], ValidationFailed),
    ],
)
def test_redemption_refusals(reply, error):
    with pytest.raises(error):
        replies.redemption(reply)


def test_campaign_rules():
    check_campaign(campaign())
    with pytest.raises(ValidationFailed):
        check_campaign(campaign(claim_closes_at=T0))
    with pytest.raises(ValidationFailed):
        check_campaign(campaign(valid_until=T0 + timedelta(days=1)))
    with pytest.raises(ValidationFailed):
        check_campaign(campaign(merchants=("a", "a")))
    with pytest.raises(ValidationFailed):
        check_campaign(campaign(valid_until=datetime(2110, 1, 1, tzinfo=UTC)))
    assert campaign().max_spend_fen == 60_000_000
    assert campaign(budget_fen=1_000_000).max_spend_fen == 1_000_000


def test_same_definition_ignores_order_and_timezone():
    from zoneinfo import ZoneInfo

    shanghai = campaign(
        claim_opens_at=T0.astimezone(ZoneInfo("Asia/Shanghai")),
        eligible_categories=(WorkerCategory.COURIER,),
    )
    assert same_definition(campaign(), shanghai)
    assert not same_definition(campaign(), campaign(quota=1))
