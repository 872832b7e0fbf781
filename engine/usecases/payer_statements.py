"""A co-funded programme's payers' statements: each payer's part of every ledger row of
the programme, day by day (Asia/Shanghai), split to the fen (engine.domain.cofunding), so
the payers' statements of a day add up to that day's redemptions less reversals."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date, timedelta
from typing import Any

from engine.domain.cofunding import payer_days
from engine.domain.periods import union_day, union_day_bounds
from engine.errors import NotFound
from engine.usecases.ports import LedgerRecords
from engine.usecases.read_caches import Campaigns

CSV_COLUMNS = ("day", "payer_id", "redeemed_fen", "reversed_fen", "net_fen")


class PayerStatements:
    def __init__(self, *, records: LedgerRecords, campaigns: Campaigns) -> None:
        self.records, self.campaigns = records, campaigns

    async def statement(
        self, campaign_id: str, payer_id: str, first: date, last: date
    ) -> dict[str, Any]:
        """The payer's part of each day from `first` to `last`, days without rows left out."""
        campaign = await self.campaigns.get(campaign_id)
        payer = next((p for p in campaign.payers if p.payer_id == payer_id), None)
        if payer is None:
            raise NotFound("No such payer of this campaign")
        start, _ = union_day_bounds(first)
        end, _ = union_day_bounds(last + timedelta(days=1))
        rows = await self.records.campaign_ledger(campaign_id, start, end)
        days = payer_days(campaign.payers, [(union_day(at), fen) for at, fen in rows])[payer_id]
        shown = [
            {
                "day": day.isoformat(),
                "redeemed_fen": part.redeemed_fen,
                "reversed_fen": part.reversed_fen,
                "net_fen": part.net_fen,
            }
            for day, part in sorted(days.items())
        ]
        return {
            "campaign_id": campaign_id,
            "payer_id": payer_id,
            "name": payer.name,
            "days": shown,
            "net_fen": sum(d["net_fen"] for d in shown),
        }

    async def export(
        self, campaign_id: str, payer_id: str, first: date, last: date
    ) -> tuple[str, str]:
        """The same statement as CSV, and its SHA-256."""
        doc = await self.statement(campaign_id, payer_id, first, last)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for d in doc["days"]:
            writer.writerow(
                (d["day"], payer_id, d["redeemed_fen"], d["reversed_fen"], d["net_fen"])
            )
        text = out.getvalue()
        return text, hashlib.sha256(text.encode()).hexdigest()
