"""A store's day at the till: its redemptions, what was given back of each, and until
when the rest may still be reversed."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from engine.domain.api_keys import MerchantIdentity
from engine.domain.forecast import iso
from engine.domain.periods import union_day, union_day_bounds
from engine.usecases.ports import Clock, LedgerRecords
from engine.usecases.read_caches import Campaigns

# A till lists one day; a day past this many redemptions is exported from settlements.
MOST_SHOWN = 500


class Till:
    def __init__(self, *, records: LedgerRecords, campaigns: Campaigns, clock: Clock) -> None:
        self.records, self.campaigns, self.clock = records, campaigns, clock

    async def day(self, who: MerchantIdentity, day: date | None = None) -> dict[str, Any]:
        """A store key sees its store's redemptions; a merchant-wide key all of them."""
        day = day or union_day(self.clock.now())
        start, end = union_day_bounds(day)
        rows = await self.records.store_redemptions(
            who.merchant_id, who.store_id, start, end, MOST_SHOWN
        )
        redemptions = []
        for r in rows:
            c = await self.campaigns.get(r.campaign_id)
            redemptions.append(
                {
                    "redemption_id": r.redemption_id,
                    "campaign_id": c.id,
                    "campaign_name": c.name,
                    "campaign_name_en": c.name_en,
                    "serial": r.serial,
                    "amount_fen": r.amount_fen,
                    "reversed_fen": r.reversed_fen,
                    "store_id": r.store_id,
                    "terminal_id": r.terminal_id,
                    "redeemed_at": iso(r.occurred_at),
                    "reversible_until": iso(r.occurred_at + timedelta(seconds=c.reversal_window_s)),
                }
            )
        return {
            "day": day.isoformat(),
            "merchant_id": who.merchant_id,
            "store_id": who.store_id,
            "redemptions": redemptions,
            "complete": len(rows) < MOST_SHOWN,
        }
