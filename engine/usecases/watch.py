"""The cash-out watch (套现, 刷单): redemptions and reversals from the log are kept as
seen and judged by the rules (engine/domain/cashout.py) over the last window of the
stores, terminals and workers they touch; each hit opens a case, or adds to the open one,
in the review queue. Operations hold a case's merchants' settlement until it is closed,
change the thresholds, and each decision is audited.

Derived work: it runs in the stream's 'watch' role, off the redemption's path, and
what it keeps is rebuilt from the ledger (`rebuild`)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any, Protocol

from engine.domain.audit import Actor, AuditEntry
from engine.domain.cases import Case, Decision, Found, may_close, may_hold
from engine.domain.cashout import Thresholds, hits, merchants_of
from engine.domain.listings import document
from engine.domain.watch import Seen, SeenReversal, subjects_of, window_ends
from engine.errors import NotFound
from engine.usecases.ports import AuditLog, WatchRecords


class Records(WatchRecords, AuditLog, Protocol):
    """The watch's records, each decision audited in its own transaction."""


class Watch:
    def __init__(self, *, records: Records) -> None:
        self.db = records

    async def seen(self, redemptions: list[Seen], reversals: list[SeenReversal]) -> int:
        """Keep a batch from the log and judge the windows it falls in; the hits found."""
        if not redemptions and not reversals:
            return 0
        # Kept and judged together: whoever sees a redemption kept sees its cases too.
        async with self.db.transaction():
            await self.db.record_seen(redemptions, reversals)
            limits = await self.db.watch_thresholds()
            subjects = subjects_of(redemptions, reversals)
            times = [s.at for s in redemptions] + [r.at for r in reversals]
            found: list[Found] = []
            for end in window_ends(times, limits.window):
                window = await self.db.watch_window(end - limits.window, end, subjects)
                found += [Found(hit, merchants_of(hit, window)) for hit in hits(window, limits)]
            if found:
                await self.db.open_cases(found)
        return len(found)

    async def thresholds(self) -> dict[str, Any]:
        return (await self.db.watch_thresholds()).document()

    async def set_thresholds(self, given: Thresholds, by: Actor) -> dict[str, Any]:
        async with self.db.transaction():
            before = (await self.db.watch_thresholds()).document()
            await self.db.save_watch_thresholds(given, by.name)
            after = given.document()
            entry = AuditEntry.of(by, "watch.thresholds", "watch", before=before, after=after)
            await self.db.insert_audit(entry)
        return after

    async def cases(
        self, status: str | None, merchant_id: str | None, most: int
    ) -> list[dict[str, Any]]:
        return [_shown(c) for c in await self.db.cases(status, merchant_id, most)]

    async def case(self, case_id: str) -> dict[str, Any]:
        """The case and its evidence: each redemption as the watch saw it."""
        case = await self._case(case_id)
        evidence = [
            asdict(e.redeemed) | {"campaign_id": e.campaign_id, "serial": e.serial}
            for e in await self.db.case_evidence(case.evidence)
        ]
        for item in evidence:
            item["redeemed_at"] = item.pop("at").isoformat()
        return _shown(case) | {"evidence": evidence}

    async def hold(self, case_id: str, by: Actor) -> dict[str, Any]:
        """Stop the settlement of the case's merchants until it is closed (safe to repeat)."""
        async with self.db.transaction():
            case = await self._case(case_id)
            if may_hold(case):
                await self.db.hold_case(case_id)
                after = {"hold": True, "merchants": list(case.merchants)}
                await self.db.insert_audit(AuditEntry.of(by, "cases.hold", case_id, after=after))
        return _shown(await self._case(case_id))

    async def close(
        self, case_id: str, decision: Decision, note: str | None, by: Actor
    ) -> dict[str, Any]:
        """Decide a case (safe to repeat with the same decision); its hold ends with it."""
        async with self.db.transaction():
            case = await self._case(case_id)
            if may_close(case, decision):
                await self.db.close_case(case_id, decision, note, by.name)
                before = {"status": case.status, "hold": case.hold}
                after = {"status": "closed", "decision": decision.value, "note": note}
                entry = AuditEntry.of(by, "cases.close", case_id, before=before, after=after)
                await self.db.insert_audit(entry)
        return _shown(await self._case(case_id))

    async def holds(self, merchant_id: str) -> list[str]:
        """The open cases holding the merchant's settlement (none: it may be settled)."""
        return await self.db.holding_cases(merchant_id)

    async def rebuild(self, since: datetime) -> dict[str, int]:
        """What the watch keeps, again from the ledger (after a lost log or a lost table)."""
        redemptions, reversals = await self.db.rebuild_watch(since)
        return {"redemptions": redemptions, "reversals": reversals}

    async def _case(self, case_id: str) -> Case:
        case = await self.db.case(case_id)
        if case is None:
            raise NotFound(f"No case {case_id}")
        return case


def _shown(case: Case) -> dict[str, Any]:
    shown = document(case)
    shown["merchants"], shown["evidence_count"] = list(case.merchants), len(case.evidence)
    del shown["evidence"]
    return shown
