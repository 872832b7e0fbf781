"""Drive a lost log again from the records: every decision Redis holds that is not applied
yet (a claim admitted and not issued, a redemption or a reversal not in the ledger) is
published again, as the API published it (same event, same key, so the same partition
and the same order per merchant). Issuance and the ledger are idempotent by id, so a
decision whose first event was applied after all changes nothing.

A pending decision is sent too: it may have been acknowledged to its caller by a process
that died before its confirmation, and with the log gone nothing else shows that. At
worst a claim nobody was answered becomes a voucher, which the worker's retry with the
same Idempotency-Key then finds.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Protocol

from engine.domain.settlement import (
    ClaimInFlight,
    InFlight,
    RedemptionInFlight,
    ReversalInFlight,
)
from engine.events import ClaimAdmitted, Event, VoucherRedeemed, VoucherReversed
from engine.usecases.ports import (
    CampaignRecords,
    EventPublisher,
    LedgerRecords,
    RedemptionStore,
    Settlement,
    VoucherRecords,
)
from engine.usecases.read_caches import Campaigns


class Records(CampaignRecords, VoucherRecords, LedgerRecords, Protocol):
    """Which campaigns may hold decisions, and what the records already applied."""


class Redrive:
    def __init__(
        self,
        *,
        settlement: Settlement,
        redemptions: RedemptionStore,
        records: Records,
        campaigns: Campaigns,
        publisher: EventPublisher,
    ) -> None:
        self.settlement, self.redemptions = settlement, redemptions
        self.records, self.campaigns, self.publisher = records, campaigns, publisher

    async def run(self) -> Counter[str]:
        """Publish every decision not applied yet; count them by kind."""
        sent: Counter[str] = Counter()
        campaign_ids = await self.records.all_campaign_ids()
        for d in await self._unapplied(await self.settlement.in_flight(campaign_ids)):
            event, key = await self._event(d)
            await self.publisher.publish(event, key=key)
            sent[type(d).__name__] += 1
        return sent

    async def _unapplied(self, decisions: list[InFlight]) -> list[InFlight]:
        """Less those whose effect the records already hold (taken, then applied, before
        the loss): sending them again would change nothing, but costs a round of work."""
        claims = [d.claim_id for d in decisions if isinstance(d, ClaimInFlight)]
        issued = await self.records.issued_claim_ids(claims) if claims else set()
        entries = [_entry_id(d) for d in decisions if not isinstance(d, ClaimInFlight)]
        in_ledger = await self.records.ledger_entry_ids(entries) if entries else set()

        def applied(decision: InFlight) -> bool:
            if isinstance(decision, ClaimInFlight):
                return decision.claim_id in issued
            return _entry_id(decision) in in_ledger

        return [d for d in decisions if not applied(d)]

    async def _event(self, decision: InFlight) -> tuple[Event, str]:
        """The event and its key, as the API made them."""
        if isinstance(decision, ClaimInFlight):
            return await self._claim_event(decision), decision.claim_id
        if isinstance(decision, RedemptionInFlight):
            event: Event = VoucherRedeemed(
                redemption_id=decision.redemption_id,
                campaign_id=decision.campaign_id,
                serial=decision.serial,
                merchant_id=decision.merchant_id,
                face_value_fen=decision.face_value_fen,
                redeemed_at_ms=decision.at_ms,
                amount_fen=decision.amount_fen,
                balance_fen=decision.balance_fen,
                store_id=decision.store_id,
                terminal_id=decision.terminal_id,
                order_fen=decision.order_fen,
            )
            return event, decision.merchant_id
        redemption = await self.redemptions.redemption_record(
            decision.campaign_id, decision.redemption_id
        )
        event = VoucherReversed(
            reversal_id=decision.reversal_id,
            redemption_id=decision.redemption_id,
            campaign_id=decision.campaign_id,
            serial=decision.serial,
            merchant_id=decision.merchant_id,
            amount_fen=decision.amount_fen,
            face_value_fen=redemption.face_value_fen,
            reversed_at_ms=decision.at_ms,
            store_id=redemption.store_id,
            order_fen=redemption.order_fen,
        )
        return event, decision.merchant_id

    async def _claim_event(self, claim: ClaimInFlight) -> ClaimAdmitted:
        campaign = await self.campaigns.get(claim.campaign_id)
        version = claim.campaign_version or campaign.version
        valid_until: datetime | None = campaign.valid_until
        if version != campaign.version:
            valid_until = await self.records.valid_until_of_version(claim.campaign_id, version)
        lapses_s = claim.valid_until_s or int((valid_until or campaign.valid_until).timestamp())
        return ClaimAdmitted(
            claim_id=claim.claim_id,
            campaign_id=claim.campaign_id,
            campaign_number=campaign.number,
            serial=claim.serial,
            worker_id=claim.worker_id,
            face_value_fen=claim.face_value_fen,
            valid_until=lapses_s,
            admitted_at_ms=claim.admitted_at_ms,
            campaign_version=version,
            partner_code=claim.partner_code,
            stored_value=campaign.stored_value,
            station_id=claim.station_id,
        )


def _entry_id(redemption: RedemptionInFlight | ReversalInFlight) -> str:
    return (
        redemption.redemption_id
        if isinstance(redemption, RedemptionInFlight)
        else redemption.reversal_id
    )
