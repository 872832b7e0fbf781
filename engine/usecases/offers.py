"""The programmes on a worker's page: each live one, whether they may claim it now, and
why not when they may not."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any, Protocol

from engine.domain.allowance import Held, cap_left, period_left
from engine.domain.campaigns import Campaign
from engine.domain.discounts import discount_as_dict
from engine.domain.forecast import iso
from engine.domain.lottery import entry
from engine.domain.offers import Offer, offer_for
from engine.domain.profiles import WorkerProfile
from engine.domain.tokens import WorkerIdentity
from engine.errors import NotEligible
from engine.usecases.ports import CampaignRecords, Clock, LotteryRecords, VoucherRecords
from engine.usecases.read_caches import Campaigns, Profiles
from engine.usecases.stats import Stats


class Records(CampaignRecords, LotteryRecords, Protocol):
    """Campaigns, cap groups, and a worker's lottery registrations."""


class Offers:
    """At 10:00 every rider opens the page at once: the live programmes and their stock
    are the same for all of them, so they are read at most once per `ttl_s`."""

    def __init__(
        self,
        *,
        records: Records,
        campaigns: Campaigns,
        profiles: Profiles,
        vouchers: VoucherRecords,
        stats: Stats,
        clock: Clock,
        ttl_s: float = 1.0,
    ) -> None:
        self.records, self.campaigns, self.profiles = records, campaigns, profiles
        self.vouchers, self.stats, self.clock, self.ttl_s = vouchers, stats, clock, ttl_s
        self._live: tuple[float, list[dict[str, Any]]] = (-1e9, [])

    async def for_worker(self, who: WorkerIdentity) -> list[dict[str, Any]]:
        live = await self._live_figures()
        try:
            profile = await self.profiles.get(who.worker_id)
        except NotEligible:  # no profile on record: every rule fails, as in a claim
            profile = WorkerProfile(who.worker_id)
        vouchers = await self.vouchers.vouchers_of_worker(who.worker_id)
        holding = [Held(v.campaign_id, v.admitted_at, v.face_value_fen) for v in vouchers]
        held = Counter(v.campaign_id for v in vouchers)
        now = self.clock.now()
        views = []
        for figures in live:
            c = await self.campaigns.get(figures["campaign_id"])
            offer = offer_for(c, profile, now, figures["available_now"], held[c.id])
            views.append(
                programme_view(c, figures, offer, held[c.id])
                | {
                    "limits": await self._limits(c, holding, now),
                    "lottery": await self._lottery(c, who) if c.lottery else None,
                }
            )
        return views

    async def _limits(
        self, campaign: Campaign, holding: list[Held], now: datetime
    ) -> dict[str, Any]:
        """Where the worker stands against the per-period limit and the cross-programme cap."""
        period = campaign.period_limit
        group = await self.records.get_cap_group(campaign.cap_group) if campaign.cap_group else None
        cap = None
        if group is not None:
            named = {h.campaign_id for h in holding}
            members = [
                cid for cid in named if (await self.campaigns.get(cid)).cap_group == group.id
            ]
            cap = cap_left(group, frozenset(members), holding, now)
        return {
            "per_period": period_left(campaign.id, period, holding, now) if period else None,
            "cap": cap,
        }

    async def _lottery(self, campaign: Campaign, who: WorkerIdentity) -> dict[str, Any]:
        """Registered or not, and once drawn, whether the worker's entry won."""
        assert campaign.lottery is not None
        salt = await self.records.lottery_salt(campaign.id, who.worker_id)
        draw = await self.records.get_lottery(campaign.id)
        drawn = draw is not None and draw.drawn_at is not None
        won = None
        if draw is not None and drawn and salt is not None:
            won = entry(salt, who.worker_id) in (draw.winners or [])
        return {
            "draw_at": iso(campaign.lottery.draw_at),
            "state": "registering" if draw is None else "drawn" if drawn else "committed",
            "registered": salt is not None,
            "won": won,
        }

    async def _live_figures(self) -> list[dict[str, Any]]:
        read_at, figures = self._live
        if self.clock.now().timestamp() - read_at >= self.ttl_s:
            figures = [
                await self.stats.campaign(cid) for cid in await self.records.live_campaigns()
            ]
            self._live = (self.clock.now().timestamp(), figures)
        return figures


def programme_view(
    campaign: Campaign, figures: dict[str, Any], offer: Offer, held: int
) -> dict[str, Any]:
    low, high = campaign.face_range
    wave = figures.get("wave") or {}
    return {
        "campaign_id": campaign.id,
        "name": campaign.name,
        "name_en": campaign.name_en,
        "status": campaign.status.value,
        "face_value_fen": campaign.face_value_fen,
        "face_value_min_fen": low,
        "face_value_max_fen": high,
        "stored_value": campaign.stored_value,
        "discount": discount_as_dict(campaign.discount) if campaign.discount else None,
        "stations": campaign.stations,
        "slots": campaign.slots,
        "claim_opens_at": iso(campaign.claim_opens_at),
        "claim_closes_at": iso(campaign.claim_closes_at),
        "valid_until": iso(campaign.valid_until),
        "waves": [{"at": iso(w.at), "quantity": w.quantity} for w in campaign.waves],
        "next_wave_at": wave.get("next_at"),
        "available_now": figures["available_now"],
        "per_worker_limit": campaign.per_worker_limit,
        "held": held,
        "claimable": offer.claimable,
        "reason": offer.reason,
        "failed_rule": offer.failed_rule,
    }
