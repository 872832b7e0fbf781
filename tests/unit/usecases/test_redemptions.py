"""Merchants, redemptions, reversals, the till and the ledger over the in-memory engine."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from engine.domain.api_keys import MerchantIdentity
from engine.domain.discounts import PercentOff
from engine.domain.ledger import first_break
from engine.domain.periods import union_day
from engine.domain.short_codes import short_code_of
from engine.domain.short_codes import shown as shown_short
from engine.errors import (
    AlreadyRedeemed,
    Forbidden,
    IdempotencyKeyReused,
    InvalidCode,
    NotFound,
    RateLimited,
    ReversalWindowClosed,
    ValidationFailed,
)
from engine.events import VoucherRedeemed, VoucherReversed
from engine.usecases.redemptions import OfflineItem
from tests.helpers.memory import OPS, World


async def issued_code(w: World, worker: str = "w1", **campaign: object) -> str:
    """A voucher of a campaign m1 is enrolled in, issued to `worker`: its code."""
    c = await w.campaign(merchants=("m1",), quota=5, **campaign)
    answer = await w.engine.claims.claim(c.id, await w.worker(worker), f"k-{c.id}")
    await w.stream()
    return (await w.engine.claims.voucher(answer.claim_id, await w.worker(worker))).code


async def identified(w: World, api_key: str) -> MerchantIdentity:
    who = await w.engine.merchant_keys.identify(api_key)
    assert who is not None
    return who


async def test_a_voucher_is_redeemed_once_and_lands_in_the_ledger_and_the_till():
    w = World()
    who = await identified(w, await w.merchant("m1"))
    code = await issued_code(w)
    assert (await w.engine.redemptions.verify(who, code, None))["redeemable"] is True
    answer = await w.engine.redemptions.redeem(who, code, "r-1")
    assert (answer.amount_fen, answer.balance_fen) == (300, 0)
    again = await w.engine.redemptions.redeem(who, code, "r-1")  # a retry: the same answer
    assert again.redemption_id == answer.redemption_id
    with pytest.raises(AlreadyRedeemed):
        await w.engine.redemptions.redeem(who, code, "r-2")
    with pytest.raises(InvalidCode):
        await w.engine.redemptions.redeem(who, code[:-3] + "AAA", "r-3")
    await w.stream()
    [till] = (await w.engine.till.day(who))["redemptions"]
    assert (till["redemption_id"], till["amount_fen"]) == (answer.redemption_id, 300)
    day = union_day(w.clock.now())
    [statement] = await w.engine.merchants.settlements("m1", day, day)
    assert (statement["redemptions"], statement["net_fen"]) == (1, 300)
    text, manifest = await w.engine.merchants.settlement_export("m1", day, day)
    assert manifest["rows"] == 1 and manifest["net_fen"] == 300 and "m1" in text
    assert first_break(await w.records.ledger_chain("m1")) is None


async def test_a_merchant_not_enrolled_and_a_store_key_are_held_to_their_scope():
    w = World()
    outsider = await identified(w, await w.merchant("m2"))
    store = await identified(w, await w.merchant("m1", store_id="s1"))
    code = await issued_code(w)
    with pytest.raises(Forbidden):
        await w.engine.redemptions.redeem(outsider, code, "r-1")
    answer = await w.engine.redemptions.redeem(store, code, "r-1")
    with pytest.raises(Forbidden):  # a store key reverses its own store's only
        other_store = await w.engine.merchants.add_store("m1", "s2", "s2", OPS)
        assert other_store
        key = await w.engine.merchants.issue_key("m1", "s2", OPS)
        elsewhere = await identified(w, str(key["api_key"]))
        await w.engine.reversals.reverse(elsewhere, answer.redemption_id, "v-1")
    with pytest.raises(IdempotencyKeyReused):  # the key names another request now
        await w.engine.redemptions.redeem(store, await issued_code(w, "w2"), "r-1")
    await w.stream()
    assert w.published(VoucherRedeemed)[0].redemption_id == answer.redemption_id


async def test_a_reversal_gives_back_once_within_its_window():
    w = World()
    who = await identified(w, await w.merchant("m1"))
    code = await issued_code(w, reversal_window_s=600)
    answer = await w.engine.redemptions.redeem(who, code, "r-1")
    back = await w.engine.reversals.reverse(who, answer.redemption_id, "v-1")
    assert back["amount_fen"] == 300
    assert (await w.engine.reversals.reverse(who, answer.redemption_id, "v-1")) == back
    with pytest.raises(NotFound):
        await w.engine.reversals.reverse(who, "uc-none.r", "v-2")
    await w.stream()
    [till] = (await w.engine.till.day(who))["redemptions"]
    assert till["reversed_fen"] == 300
    assert len(w.published(VoucherReversed)) == 1
    again = await w.engine.redemptions.redeem(who, code, "r-2")  # usable again
    w.clock.advance(601)
    with pytest.raises(ReversalWindowClosed):
        await w.engine.reversals.reverse(who, again.redemption_id, "v-3")


async def test_offline_redemptions_are_applied_in_order_and_each_answered():
    w = World()
    who = await identified(w, await w.merchant("m1"))
    code = await issued_code(w)
    at = w.clock.now() - timedelta(minutes=5)
    items = [
        OfflineItem(code, "o-1", at),
        OfflineItem(code, "o-2", at),
        OfflineItem("junk", "o-3", at),
    ]
    results = await w.engine.redemptions.redeem_offline(who, items)
    assert [r["status"] for r in results] == ["accepted", "conflict", "rejected"]
    assert [r.get("reason") for r in results[1:]] == ["already-redeemed", "invalid-code"]
    redeemed_at = datetime.fromisoformat(results[0]["redemption"]["redeemed_at"])
    assert abs(redeemed_at - at) < timedelta(milliseconds=1)  # the terminal's time, kept


async def test_a_revoked_key_stops_at_once_and_a_keys_rate_is_counted():
    w = World(merchant_key_requests_per_min=2)
    api_key = await w.merchant("m1")
    await identified(w, api_key)
    await identified(w, api_key)
    with pytest.raises(RateLimited):
        await identified(w, api_key)
    [listed] = await w.engine.merchants.keys("m1")
    new = await w.engine.merchants.rotate_key("m1", listed["key_id"], None, OPS)
    assert await w.engine.merchant_keys.identify(api_key) is None
    assert (await identified(w, str(new["api_key"]))).merchant_id == "m1"


async def test_a_discount_is_granted_on_the_order_and_settled_as_granted():
    w = World()
    who = await identified(w, await w.merchant("m1"))
    half = PercentOff(50, cap_fen=300)
    code = await issued_code(w, face_value_fen=300, discount=half)
    with pytest.raises(ValidationFailed):  # a discount voucher needs the order
        await w.engine.redemptions.redeem(who, code, "r-0")
    shown = await w.engine.redemptions.verify(who, code, None, order_fen=401)
    assert (shown["grants_fen"], shown["discount"]["percent"]) == (201, 50)
    answer = await w.engine.redemptions.redeem(who, code, "r-1", order_fen=401)
    assert (answer.amount_fen, answer.to_pay_fen, answer.balance_fen) == (201, 200, 0)
    await w.stream()
    day = union_day(w.clock.now())
    [statement] = await w.engine.merchants.settlements("m1", day, day)
    assert statement["net_fen"] == 201  # the discount granted, not the face value
    [mine] = await w.engine.claims.vouchers_of(await w.worker("w1"))
    assert mine["status"] == "redeemed"


async def test_a_short_code_redeems_and_a_guess_counts_as_a_failure():
    w = World()
    who = await identified(w, await w.merchant("m1"))
    code = await issued_code(w)
    short = shown_short(short_code_of(code))
    answer = await w.engine.redemptions.redeem(who, short.lower(), "r-1")
    assert answer.amount_fen == 300
    with pytest.raises(InvalidCode):
        await w.engine.redemptions.verify(who, shown_short(short_code_of(code + "?")), None)
    with pytest.raises(ValidationFailed):
        await w.engine.redemptions.verify(
            who, short[:-1] + ("0" if short[-1] != "0" else "1"), None
        )
