"""Settle what an API process left unsettled: admitted in Redis, never answered.

An API process that dies between its Redis decision and the broker's answer leaves the
record 'pending' (a quota unit or a voucher's balance held). It is released once the log
proves its event was never appended (engine/usecases/log_watch.py gives the cutoff per
kind of decision, from the fences the consumers passed), never because a timer ran out:
the caller never got a 2xx, and a late copy of its event is voided by the stream worker,
so the unit goes back exactly once. Releasing (not completing) is the choice because
the caller's retry with the same Idempotency-Key is admitted again if stock is left.

One exception: a reversal whose refunded amount was redeemed again before the release.
Undoing it would make the balance negative, so it is completed instead: its event is
published from the records in Redis and the reversal confirmed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Mapping

import structlog

from engine.domain.live_records import (
    MISSING,
    RELEASED,
    ClaimRecord,
    DecisionRecord,
    RedemptionRecord,
    ReversalRecord,
    decided_at_ms,
)
from engine.domain.redemption import ReverseRequest
from engine.domain.settlement import Decision, DecisionKind
from engine.events import VoucherReversed
from engine.usecases.claims import release_unsettled_claim
from engine.usecases.ports import AdmissionStore, CampaignRecords, RedemptionStore, Settlement
from engine.usecases.read_caches import Campaigns

log = structlog.get_logger("engine.repair")


PublishReversal = Callable[[VoucherReversed], Awaitable[None]]


class Repair:
    def __init__(
        self,
        *,
        admissions: AdmissionStore,
        redemptions: RedemptionStore,
        settlement: Settlement,
        records: CampaignRecords,
        campaigns: Campaigns,
        publish_reversal: PublishReversal,
    ) -> None:
        self.admissions, self.redemptions, self.settlement = admissions, redemptions, settlement
        self.records, self.campaigns, self.publish_reversal = records, campaigns, publish_reversal

    async def release_abandoned(
        self, cutoffs: Mapping[DecisionKind, int], caps_cutoff_ms: int
    ) -> Counter[str]:
        """Release every decision of a kind unsettled since before its cutoff (ms; the log
        proves those were never appended); count outcomes by kind. Cap reservations whose
        claim never came are given back after `caps_cutoff_ms`."""
        outcomes: Counter[str] = Counter()
        oldest = max(cutoffs.values(), default=-1)
        for campaign_id in await self.records.campaigns_with_live_vouchers():
            if oldest < 0:
                break
            for decision in await self.settlement.unsettled_before(campaign_id, oldest):
                if cutoffs.get(decision.kind, -1) < 0:
                    continue
                record = await self.settlement.record(decision)
                if not record.exists or decided_at_ms(record) > cutoffs[decision.kind]:
                    continue  # its kind's fences are not past it yet
                state = await self._settle(decision, record)
                if state != "released":  # settled meanwhile: only the index entry is left
                    await self.settlement.forget_unsettled(decision)
                outcomes[f"{decision.kind} {state}"] += 1
                log.warning(
                    "unsettled record repaired",
                    kind=decision.kind,
                    id=decision.decision_id,
                    state=state,
                )
        outcomes += await self._settle_cap_reservations(caps_cutoff_ms)
        return outcomes

    async def _settle(self, decision: Decision, record: DecisionRecord) -> str:
        if record.state != "pending":
            return record.state
        if isinstance(record, ClaimRecord):
            campaign = await self.campaigns.get(decision.campaign_id)
            return await release_unsettled_claim(
                self.admissions, self.records, campaign, decision.decision_id, record
            )
        if isinstance(record, RedemptionRecord):
            return await self.redemptions.release_redemption(
                decision.campaign_id, record.serial, decision.decision_id
            )
        return await self._settle_reversal(decision, record)

    async def _settle_cap_reservations(self, cutoff_ms: int) -> Counter[str]:
        """A cap is reserved in its group's slot before the admission in the campaign's: a
        process that died (or a Redis error) in between left a reservation with no claim.
        Those are given back; the ones whose claim exists are settled (the claim's own
        release, if it comes, gives its reservation back)."""
        outcomes: Counter[str] = Counter()
        for group in await self.records.cap_groups():
            for r in await self.admissions.cap_unsettled_before(group.id, cutoff_ms):
                claim = (
                    await self.admissions.claim_record(r.campaign_id, r.claim_id)
                    if r.campaign_id
                    else ClaimRecord(MISSING)
                )
                if r.amount and claim.state in (MISSING, RELEASED):
                    await self.admissions.cap_release(r.group, r.period, r.claim_id, r.worker_id)
                    outcomes["cap reservation released"] += 1
                    log.warning("cap reservation without a claim released", claim_id=r.claim_id)
                else:
                    await self.admissions.cap_settled(r.group, r.claim_id)
                    outcomes["cap reservation settled"] += 1
        return outcomes

    async def _settle_reversal(self, decision: Decision, record: ReversalRecord) -> str:
        """Release the reversal, or complete it when its refund was already spent again."""
        campaign_id, reversal_id = decision.campaign_id, decision.decision_id
        serial, redemption_id = record.serial, record.redemption_id
        request = ReverseRequest(
            campaign_id, serial, record.merchant_id, redemption_id, reversal_id, 0, 0, 0
        )
        state = await self.redemptions.release_reversal(request)
        if state != "spent":
            return state
        redemption = await self.redemptions.redemption_record(campaign_id, redemption_id)
        await self.publish_reversal(
            VoucherReversed(
                reversal_id=reversal_id,
                redemption_id=redemption_id,
                campaign_id=campaign_id,
                serial=serial,
                merchant_id=record.merchant_id,
                amount_fen=record.amount_fen,
                face_value_fen=redemption.face_value_fen,
                reversed_at_ms=record.at_ms,
                store_id=redemption.store_id,
                order_fen=redemption.order_fen,
            )
        )
        return await self.settlement.confirm(decision, serial)
