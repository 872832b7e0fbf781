"""The main flow through the Python client generated from the contract, against the
stack: claim -> issue -> verify -> redeem -> the 409 of a second redemption."""

from __future__ import annotations

import sys

import pytest

from tests.clients import generate


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = generate.python_client(tmp_path_factory.mktemp("client"))
    sys.path.insert(0, str(out))
    yield out
    sys.path.remove(str(out))
    for name in [m for m in sys.modules if m == "flow" or m.startswith("nuanxin_client")]:
        del sys.modules[name]


@pytest.mark.usefixtures("issuing")
async def test_claim_to_redemption_through_the_generated_client(generated, engine, settings):
    import flow

    result = await flow.claim_to_redemption(engine.base_url, settings.ops_token.get_secret_value())
    assert len(result.code) == 127 and len(result.short_code) == 14
    assert result.verified.genuine and result.verified.redeemable
    assert result.verified.campaign_name == "地铁半价券"
    assert (result.verified.grants_fen, result.verified.shortfall_fen) == (201, 0)
    assert (result.redeemed.amount_fen, result.redeemed.to_pay_fen) == (201, 200)
    assert result.redeemed.balance_fen == 0
    assert result.again.status == 409
    assert result.again.type_.endswith("/already-redeemed")  # `type` is reserved
