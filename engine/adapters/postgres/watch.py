"""The cash-out watch's records: the redemptions and reversals it has seen, its
thresholds, and its cases."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from engine.adapters.failures import translated
from engine.adapters.postgres.base import Queries
from engine.domain.cases import MOST_EVIDENCE, Case, Decision, Evidence, Found
from engine.domain.cashout import Redeemed, Thresholds
from engine.domain.watch import Seen, SeenReversal, Subjects


@translated
class WatchRecords(Queries):
    async def record_seen(
        self, redemptions: Sequence[Seen], reversals: Sequence[SeenReversal]
    ) -> None:
        if redemptions:
            columns = [
                [s.redemption_id for s in redemptions],
                [s.campaign_id for s in redemptions],
                [s.serial for s in redemptions],
                [s.merchant_id for s in redemptions],
                [s.store_id for s in redemptions],
                [s.terminal_id for s in redemptions],
                [s.amount_fen for s in redemptions],
                [s.balance_before_fen for s in redemptions],
                [s.at for s in redemptions],
            ]
            await self.db().execute(self.q["watch_seen_redemptions"], *columns)
        if reversals:
            await self.db().execute(
                self.q["watch_seen_reversals"],
                [r.reversal_id for r in reversals],
                [r.redemption_id for r in reversals],
                [r.at for r in reversals],
            )

    async def watch_window(
        self, since: datetime, until: datetime, subjects: Subjects
    ) -> list[Redeemed]:
        rows = await self.db().fetch(
            self.q["watch_window"],
            since,
            until,
            [m for m, _ in subjects.stores],
            [s for _, s in subjects.stores],
            list(subjects.redemption_ids),
            list(subjects.terminals),
        )
        return [_redeemed(r) for r in rows]

    async def watch_thresholds(self) -> Thresholds:
        stored = await self.db().fetchval(self.q["watch_thresholds"])
        return Thresholds() if stored is None else Thresholds.of(stored)

    async def save_watch_thresholds(self, thresholds: Thresholds, by: str) -> None:
        await self.db().execute(self.q["save_watch_thresholds"], thresholds.document(), by)

    async def open_cases(self, found: Sequence[Found]) -> None:
        await self.db().executemany(
            self.q["open_case"],
            [
                (
                    f"case-{secrets.token_hex(6)}",
                    f.hit.rule,
                    f.hit.subject,
                    list(f.merchants),
                    list(f.hit.evidence),
                    MOST_EVIDENCE,
                )
                for f in found
            ],
        )

    async def cases(self, status: str | None, merchant_id: str | None, most: int) -> list[Case]:
        rows = await self.db().fetch(self.q["cases"], status, merchant_id, most)
        return [_case(r) for r in rows]

    async def case(self, case_id: str) -> Case | None:
        """Held until the transaction ends."""
        row = await self.db().fetchrow(self.q["case"], case_id)
        return None if row is None else _case(row)

    async def case_evidence(self, redemption_ids: Sequence[str]) -> list[Evidence]:
        rows = await self.db().fetch(self.q["watch_evidence"], list(redemption_ids))
        return [Evidence(_redeemed(r), r["campaign_id"], r["serial"]) for r in rows]

    async def hold_case(self, case_id: str) -> None:
        await self.db().execute(self.q["hold_case"], case_id)

    async def close_case(self, case_id: str, decision: Decision, note: str | None, by: str) -> None:
        await self.db().execute(self.q["close_case"], case_id, decision.value, note, by)

    async def holding_cases(self, merchant_id: str) -> list[str]:
        """The open cases holding the merchant's settlement."""
        return [r["case_id"] for r in await self.db().fetch(self.q["holding_cases"], merchant_id)]

    async def rebuild_watch(self, since: datetime) -> tuple[int, int]:
        """The watch's redemptions and reversals from the ledger, from `since` on: how many
        of each were missing."""
        async with self.transaction() as conn:
            redemptions = await conn.execute(self.q["rebuild_watch_redemptions"], since)
            reversals = await conn.execute(self.q["rebuild_watch_reversals"], since)
        return _count(redemptions), _count(reversals)


def _count(status: str) -> int:
    return int(status.rsplit(" ", 1)[-1])


def _redeemed(row: Mapping[str, Any]) -> Redeemed:
    return Redeemed(
        redemption_id=row["redemption_id"],
        merchant_id=row["merchant_id"],
        store_id=row["store_id"],
        terminal_id=row["terminal_id"],
        worker_id=row["worker_id"],
        amount_fen=row["amount_fen"],
        balance_before_fen=row["balance_before_fen"],
        stored_value=row["stored_value"],
        at=row["redeemed_at"],
        reversed=row["reversed"],
    )


def _case(row: Mapping[str, Any]) -> Case:
    return Case(
        case_id=row["case_id"],
        rule=row["rule"],
        subject=row["subject"],
        merchants=tuple(row["merchants"]),
        evidence=tuple(row["evidence"]),
        status=row["status"],
        hold=row["hold"],
        decision=row["decision"],
        note=row["note"],
        opened_at=row["opened_at"],
        seen_at=row["seen_at"],
        closed_at=row["closed_at"],
        closed_by=row["closed_by"],
    )
