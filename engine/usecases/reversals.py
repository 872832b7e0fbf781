"""Merchants give back all or part of their own redemptions, within the campaign's window."""

from __future__ import annotations

from typing import Any

from engine.domain.admission import campaign_of, reversal_id_for
from engine.domain.api_keys import MerchantIdentity
from engine.domain.clock import to_ms
from engine.domain.idempotency import reversal_binding
from engine.domain.live_records import MISSING, RELEASED
from engine.domain.redemption import ReverseOutcome, ReverseRequest, iso_ms
from engine.domain.settlement import Decision
from engine.errors import Forbidden, NotFound
from engine.events import VoucherReversed
from engine.usecases.durability import make_durable, until_settled
from engine.usecases.ports import (
    Clock,
    EventPublisher,
    KeyBindings,
    RedemptionStore,
    Settlement,
)
from engine.usecases.read_caches import Campaigns


class Reversals:
    def __init__(
        self,
        *,
        redemptions: RedemptionStore,
        bindings: KeyBindings,
        settlement: Settlement,
        publisher: EventPublisher,
        campaigns: Campaigns,
        clock: Clock,
        wait_s: float,
    ) -> None:
        self.redemptions, self.bindings, self.settlement = redemptions, bindings, settlement
        self.publisher, self.campaigns = publisher, campaigns
        self.clock, self.wait_s = clock, wait_s

    async def reverse(
        self,
        who: MerchantIdentity,
        redemption_id: str,
        idempotency_key: str,
        amount_fen: int | None = None,
        request_id: str = "",
    ) -> dict[str, Any]:
        campaign_id = campaign_of(redemption_id, "redemption")
        record = await self.redemptions.redemption_record(campaign_id, redemption_id)
        if record.state in (MISSING, RELEASED):
            raise NotFound("No such redemption")
        campaign = await self.campaigns.get(campaign_id)
        serial = record.serial
        binding = reversal_binding(
            who.merchant_id, idempotency_key, redemption_id, amount_fen, who.store_id
        )
        await self.bindings.bind_merchant(binding, ())
        request = ReverseRequest(
            campaign_id,
            serial,
            who.merchant_id,
            redemption_id,
            reversal_id_for(campaign_id, who.merchant_id, idempotency_key),
            amount_fen or 0,
            to_ms(self.clock.now()),
            campaign.reversal_window_s * 1000,
            who.store_id,
            binding.digest,
        )

        async def attempt() -> ReverseOutcome:
            try:
                return await self.redemptions.reverse(request)
            except (NotFound, Forbidden):
                await self.bindings.unbind(binding)  # not a request this caller may make
                raise

        outcome = await until_settled(
            attempt, lambda o: "new" if o.is_new else o.state, self.wait_s
        )
        if outcome.is_new:
            await self._make_durable(request, outcome, record.face_value_fen, request_id)
        return {
            "reversal_id": request.reversal_id,
            "redemption_id": redemption_id,
            "campaign_id": campaign_id,
            "serial": serial,
            "amount_fen": outcome.amount_fen,
            "reversed_at": iso_ms(outcome.at_ms),
        }

    async def _make_durable(
        self, request: ReverseRequest, outcome: ReverseOutcome, face: int, request_id: str
    ) -> None:
        event = VoucherReversed(
            reversal_id=request.reversal_id,
            redemption_id=request.redemption_id,
            campaign_id=request.campaign_id,
            serial=request.serial,
            merchant_id=request.merchant_id,
            amount_fen=outcome.amount_fen,
            face_value_fen=face,
            reversed_at_ms=outcome.at_ms,
            request_id=request_id,
            store_id=request.store_id or "",
            order_fen=outcome.order_fen,
        )
        decision = Decision("reversal", request.campaign_id, request.reversal_id)
        await make_durable(
            publish=lambda: self.publisher.publish(event, key=request.merchant_id),
            confirm=lambda at: self.settlement.confirm_soon(decision, request.serial, at),
            release=lambda: self.redemptions.release_reversal(request),
        )
