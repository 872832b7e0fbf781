"""The cash-out watch's records in memory (WatchRecords), by the named queries' rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from engine.adapters.memory.tables import TableStore
from engine.domain.cases import MOST_EVIDENCE, Case, Decision, Evidence, Found
from engine.domain.cashout import Redeemed, Thresholds
from engine.domain.watch import Seen, SeenReversal, Subjects, seen_in_ledger


class MemoryWatchRecords(TableStore):
    async def record_seen(
        self, redemptions: Sequence[Seen], reversals: Sequence[SeenReversal]
    ) -> None:
        for s in redemptions:
            if s.redemption_id not in self.t.watch_seen:
                self.t.watch_seen[s.redemption_id] = (self._redeemed(s), s.campaign_id, s.serial)
        for r in reversals:
            self.t.watch_reversals.setdefault(r.reversal_id, r)

    def _redeemed(self, seen: Seen) -> Redeemed:
        voucher = next(
            (
                v
                for v in self.t.vouchers.values()
                if (v.campaign_id, v.serial) == (seen.campaign_id, seen.serial)
            ),
            None,
        )
        campaign = self.t.campaigns.get(seen.campaign_id)
        return Redeemed(
            seen.redemption_id,
            seen.merchant_id,
            seen.store_id,
            seen.terminal_id,
            voucher.worker_id if voucher else "",
            seen.amount_fen,
            seen.balance_before_fen,
            bool(campaign and campaign.stored_value),
            seen.at,
        )

    def _marked(self, redeemed: Redeemed) -> Redeemed:
        reversed_ids = {x.redemption_id for x in self.t.watch_reversals.values()}
        return replace(redeemed, reversed=redeemed.redemption_id in reversed_ids)

    async def watch_window(
        self, since: datetime, until: datetime, subjects: Subjects
    ) -> list[Redeemed]:
        seen = [r for r, _, _ in self.t.watch_seen.values()]
        workers = {
            r.worker_id for r in seen if r.redemption_id in subjects.redemption_ids and r.worker_id
        }
        return [
            self._marked(r)
            for r in seen
            if since < r.at <= until
            and (
                (r.merchant_id, r.store_id) in subjects.stores
                or r.worker_id in workers
                or (r.terminal_id and r.terminal_id in subjects.terminals)
            )
        ]

    async def watch_thresholds(self) -> Thresholds:
        return self.t.watch_thresholds

    async def save_watch_thresholds(self, thresholds: Thresholds, by: str) -> None:
        self.t.watch_thresholds = thresholds

    async def open_cases(self, found: Sequence[Found]) -> None:
        for f in found:
            held = next(
                (
                    c
                    for c in self.t.watch_cases.values()
                    if (c.rule, c.subject, c.status) == (f.hit.rule, f.hit.subject, "open")
                ),
                None,
            )
            if held is None:
                case_id = f"case-{len(self.t.watch_cases) + 1:06d}"
                now = self.now()
                self.t.watch_cases[case_id] = Case(
                    case_id, f.hit.rule, f.hit.subject, f.merchants,
                    f.hit.evidence[:MOST_EVIDENCE], "open", False, None, None, now, now, None, None,
                )  # fmt: skip
                continue
            evidence = tuple(sorted({*held.evidence, *f.hit.evidence}))[:MOST_EVIDENCE]
            if evidence != held.evidence:
                merchants = tuple(sorted({*held.merchants, *f.merchants}))
                self.t.watch_cases[held.case_id] = replace(
                    held, evidence=evidence, merchants=merchants, seen_at=self.now()
                )

    async def cases(self, status: str | None, merchant_id: str | None, most: int) -> list[Case]:
        chosen = [
            c
            for c in self.t.watch_cases.values()
            if (status is None or c.status == status)
            and (merchant_id is None or merchant_id in c.merchants)
        ]
        return sorted(chosen, key=lambda c: (c.opened_at, c.case_id), reverse=True)[:most]

    async def case(self, case_id: str) -> Case | None:
        return self.t.watch_cases.get(case_id)

    async def case_evidence(self, redemption_ids: Sequence[str]) -> list[Evidence]:
        found = [self.t.watch_seen[i] for i in redemption_ids if i in self.t.watch_seen]
        shown = [Evidence(self._marked(r), campaign, serial) for r, campaign, serial in found]
        return sorted(shown, key=lambda e: (e.redeemed.at, e.redeemed.redemption_id))

    async def hold_case(self, case_id: str) -> None:
        case = self.t.watch_cases[case_id]
        if case.status == "open":
            self.t.watch_cases[case_id] = replace(case, hold=True)

    async def close_case(self, case_id: str, decision: Decision, note: str | None, by: str) -> None:
        case = self.t.watch_cases[case_id]
        if case.status == "open":
            self.t.watch_cases[case_id] = replace(
                case,
                status="closed",
                hold=False,
                decision=decision.value,
                note=note,
                closed_at=self.now(),
                closed_by=by,
            )

    async def holding_cases(self, merchant_id: str) -> list[str]:
        return sorted(
            c.case_id
            for c in self.t.watch_cases.values()
            if c.hold and c.status == "open" and merchant_id in c.merchants
        )

    async def rebuild_watch(self, since: datetime) -> tuple[int, int]:
        redemptions, reversals = seen_in_ledger((link.entry for link in self.t.ledger), since)
        missing = [s for s in redemptions if s.redemption_id not in self.t.watch_seen]
        missing_reversals = [r for r in reversals if r.reversal_id not in self.t.watch_reversals]
        await self.record_seen(missing, missing_reversals)
        return len(missing), len(missing_reversals)
