"""Release waves with a clock the test controls (the use cases in-process, real services)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from engine.api.services import Services
from engine.domain.campaigns import Campaign, Wave
from engine.errors import SoldOut
from tests.factories import domain_campaign
from tests.helpers.inprocess import TEST_ACTOR, registered


def wave_campaign(t0: datetime, rollover: bool) -> Campaign:
    return domain_campaign(
        "waves",
        t0,
        quota=15,
        waves=tuple(Wave(t0 + timedelta(hours=h), 5) for h in (1, 2, 3)),
        rollover=rollover,
    )


async def claims(services: Services, campaign: Campaign, n: int) -> int:
    """Claim with n fresh workers; return how many were admitted before stock ran out."""
    admitted = 0
    for who in await registered(services, n):
        try:
            await services.claims.claim(campaign.id, who, "k")
            admitted += 1
        except SoldOut:
            pass
    return admitted


@pytest.mark.parametrize("rollover", [False, True])
async def test_stock_appears_only_at_each_wave(clocked, rollover):
    services, clock = clocked
    t0 = clock.start
    campaign, _ = await services.admin.create_campaign(
        wave_campaign(clock.start, rollover), TEST_ACTOR
    )

    with pytest.raises(SoldOut) as before:
        await services.claims.claim(campaign.id, (await registered(services))[0], "k")
    assert before.value.extra["next_wave_at"] == (t0 + timedelta(hours=1)).isoformat()

    clock.moment = t0 + timedelta(hours=1)
    assert await claims(services, campaign, 3) == 3  # two of wave 1 stay unclaimed
    clock.moment = t0 + timedelta(hours=1, minutes=59)
    assert await claims(services, campaign, 0) == 0

    clock.moment = t0 + timedelta(hours=2)
    # Without rollover a wave offers its own quantity; with it, exactly the unclaimed 2 more.
    assert await claims(services, campaign, 10) == (7 if rollover else 5)
    clock.moment = t0 + timedelta(hours=3)
    assert await claims(services, campaign, 10) == 5

    view = await services.admin.campaign_view(campaign.id)
    assert view["admitted"] == (15 if rollover else 13)
