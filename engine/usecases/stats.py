"""Live figures for operations: counters, rates and when stock, budget or a wave runs out."""

from __future__ import annotations

from typing import Any

from engine.domain.clock import to_ms
from engine.domain.forecast import iso, rates, released, run_out
from engine.domain.stock import available_now
from engine.usecases.admin import Admin
from engine.usecases.ports import CampaignRecords, Clock, LiveFigures
from engine.usecases.read_caches import Campaigns

_COUNTED = (
    "admitted",
    "issued",
    "redeemed",
    "expired",
    "reclaimed",
    "remaining",
    "budget_used_fen",
    "redeemed_fen",
    "reversed_fen",
)


class Stats:
    """Figures per campaign, and the overview the dashboard polls."""

    def __init__(
        self,
        *,
        figures: LiveFigures,
        records: CampaignRecords,
        admin: Admin,
        campaigns: Campaigns,
        clock: Clock,
    ) -> None:
        self.figures, self.records, self.admin = figures, records, admin
        self.campaigns, self.clock = campaigns, clock

    async def windows(self, campaign_id: str, kind: str, size: str) -> dict[int, int]:
        """Events of a kind per window start (unix s), as the stream counted them."""
        return await self.figures.windows(campaign_id, kind, size)

    def count_refusal(self, campaign_id: str, reason: str) -> None:
        """A claim refused for `reason`, for the dashboard (counted in the background)."""
        self.figures.count_refusal_soon(campaign_id, reason)

    async def campaign(self, campaign_id: str) -> dict[str, Any]:
        # The cached definition: the dashboard polls every second, PostgreSQL need not.
        c = await self.campaigns.get(campaign_id)
        view = await self.admin.view_of(c)
        now = self.clock.now()
        r = rates(await self.figures.admission_buckets(campaign_id, to_ms(now)), now)
        wave, total_released, current_qty, next_wave = released(c, now)
        in_wave = 0
        if c.waves and not c.rollover:
            in_wave = await self.figures.wave_admitted(campaign_id, wave)
        available = available_now(
            quota=c.quota,
            admitted=view["admitted"],
            reclaimed=view["reclaimed"],
            rollover=c.rollover,
            waves=bool(c.waves),
            released=total_released,
            current_wave_quantity=current_qty,
            current_wave_admitted=in_wave,
        )
        budget_left = view.get("budget_left_fen")
        return {
            "campaign_id": campaign_id,
            "name": c.name,
            "name_en": c.name_en,
            "status": view["status"],
            "quota": c.quota,
            "slots": c.slots,
            **{k: view[k] for k in _COUNTED},
            "budget_left_fen": budget_left,
            "available_now": available,
            "wave": {"current": wave, "of": len(c.waves), "next_at": iso(next_wave)}
            if c.waves
            else None,
            "rates": {
                "admitted_per_s_last_second": r.per_s_last_second,
                "admitted_per_s_last_minute": round(r.per_s_last_minute, 3),
                "fen_per_s_last_minute": round(r.fen_per_s_last_minute, 1),
                "redeemed_per_s_last_second": await self.figures.redemptions_last_second(
                    campaign_id, to_ms(now)
                ),
            },
            "forecast": {
                "stock_runs_out_at": iso(run_out(view["remaining"], r.per_s_last_minute, now)),
                "budget_runs_out_at": iso(run_out(budget_left, r.fen_per_s_last_minute, now))
                if budget_left is not None
                else None,
                "available_now_runs_out_at": iso(run_out(available, r.per_s_last_minute, now)),
            },
            "as_of": iso(now),
        }

    async def overview(self) -> dict[str, Any]:
        campaigns = []
        for campaign_id in await self.records.live_campaigns():
            figures = await self.campaign(campaign_id)
            figures["refusals"] = await self.figures.refusal_counts(campaign_id)
            figures["issue_backlog"] = max(0, figures["admitted"] - figures["issued"])
            campaigns.append(figures)
        return {"as_of": iso(self.clock.now()), "campaigns": campaigns}
