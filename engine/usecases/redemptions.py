"""Merchants verify and redeem codes (online or synced from offline terminals) and
give redemptions back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from engine.domain.admission import redemption_id_for
from engine.domain.api_keys import MerchantIdentity
from engine.domain.clock import to_ms
from engine.domain.codes import verify_code
from engine.domain.discounts import (
    Discount,
    asked_amount,
    discount_as_dict,
    granted,
    shortfall,
)
from engine.domain.idempotency import KeyBinding, redemption_binding
from engine.domain.redemption import (
    RedeemOutcome,
    RedeemRequest,
    iso_ms,
)
from engine.domain.settlement import Decision
from engine.domain.vouchers import REFUSAL, live_status
from engine.errors import (
    AlreadyRedeemed,
    EngineError,
    InsufficientBalance,
    InvalidCode,
    SignatureNeeded,
    ValidationFailed,
)
from engine.events import VoucherRedeemed
from engine.usecases.durability import make_durable, until_settled
from engine.usecases.ports import (
    CampaignRecords,
    Clock,
    EventPublisher,
    KeyBindings,
    RedemptionStore,
    Settlement,
    Throttle,
    VoucherRecords,
)
from engine.usecases.presented_codes import PresentedCodes, limits
from engine.usecases.read_caches import Campaigns

CLOCK_SKEW = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class RedemptionAnswer:
    redemption_id: str
    campaign_id: str
    serial: int
    face_value_fen: int
    amount_fen: int  # a discount voucher's: the discount granted on order_fen
    balance_fen: int
    redeemed_at: str
    order_fen: int | None = None
    to_pay_fen: int | None = None  # what the worker still pays of the order

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class OfflineItem:
    code: str
    idempotency_key: str
    redeemed_at: datetime
    amount_fen: int | None = None
    terminal_id: str | None = None
    order_fen: int | None = None


class Redemptions:
    def __init__(
        self,
        *,
        redemptions: RedemptionStore,
        bindings: KeyBindings,
        settlement: Settlement,
        throttle: Throttle,
        publisher: EventPublisher,
        records: CampaignRecords,
        vouchers: VoucherRecords,
        campaigns: Campaigns,
        public_keys: Mapping[int, Ed25519PublicKey],
        clock: Clock,
        wait_s: float,
        offline_max_age: timedelta = timedelta(hours=24),
    ) -> None:
        self.redemptions, self.settlement, self.bindings = redemptions, settlement, bindings
        self.publisher, self.campaigns = publisher, campaigns
        self.public_keys, self.clock, self.wait_s = public_keys, clock, wait_s
        self.offline_max_age = offline_max_age
        self.codes = PresentedCodes(throttle, records, vouchers, public_keys)

    async def verify(
        self, who: MerchantIdentity, code: str, terminal: str | None, order_fen: int | None = None
    ) -> dict[str, Any]:
        """Is the code genuine, and could this merchant redeem it now (on this order, for a
        discount voucher)? Changes nothing."""
        code = await self.codes.full_code(who, code, terminal)
        payload = await self.codes.genuine(who, code, terminal)
        campaign_id = await self.codes.campaign_id(payload.campaign_number)
        state = await self.redemptions.voucher_state(campaign_id, payload.serial)
        enrolled = await self.redemptions.is_enrolled(campaign_id, who.merchant_id)
        status = live_status(state, to_ms(self.clock.now()))
        if status is None:
            reason = "not-yet-issued"
        elif status in REFUSAL:
            reason = REFUSAL[status]
        elif not enrolled:
            reason = "not-enrolled"
        else:
            reason = None
        # What a voucher is worth is the business of the merchants that may redeem it.
        shown = state if enrolled else None
        campaign = await self.campaigns.get(campaign_id)
        discount = campaign.discount if enrolled else None
        return {
            "genuine": True,
            "campaign_id": campaign_id,
            "campaign_name": campaign.name,
            "campaign_name_en": campaign.name_en,
            "serial": payload.serial,
            "key_id": payload.key_id,
            "valid_until": iso_ms(payload.expires_at * 1000),
            "face_value_fen": shown.face_value_fen or None if shown else None,
            "balance_fen": shown.balance_fen if shown else None,
            "stored_value": shown.stored_value if shown else False,
            "redeemable": reason is None,
            "reason": reason,
            "discount": discount_as_dict(discount) if discount else None,
            **_on_order(discount, order_fen),
        }

    async def redeem(
        self,
        who: MerchantIdentity,
        code: str,
        idempotency_key: str,
        request_id: str = "",
        amount_fen: int | None = None,
        terminal: str | None = None,
        at: datetime | None = None,
        order_fen: int | None = None,
    ) -> RedemptionAnswer:
        # Online, the code is compared with the one issued for its serial (a digest, in the
        # redemption script); the signature is checked only where there is none to compare.
        code = await self.codes.full_code(who, code, terminal)
        payload, digest = await self.codes.read(who, code, terminal)
        campaign_id = await self.codes.campaign_id(payload.campaign_number)
        discount = (await self.campaigns.get(campaign_id)).discount
        asked = asked_amount(discount, amount_fen, order_fen)
        binding = redemption_binding(
            who.merchant_id, idempotency_key, digest, amount_fen, who.store_id, terminal, order_fen
        )
        # The guessing throttle is checked and the key bound in one round trip.
        await self.bindings.bind_merchant(binding, limits(who, terminal))
        rid = redemption_id_for(campaign_id, who.merchant_id, idempotency_key)
        request = RedeemRequest(
            campaign_id,
            payload.serial,
            who.merchant_id,
            rid,
            to_ms(at or self.clock.now()),
            asked,
            who.store_id,
            terminal,
            digest,
            binding.digest,
            order_fen or 0,
        )
        request, outcome = await self._decide(request, who, code, terminal, binding)
        if outcome.is_new:
            await self._make_durable(request, outcome, request_id)
        return RedemptionAnswer(
            rid,
            campaign_id,
            payload.serial,
            outcome.face_value_fen,
            outcome.amount_fen,
            outcome.balance_fen,
            iso_ms(outcome.at_ms),
            outcome.order_fen or None,
            outcome.order_fen - outcome.amount_fen if outcome.order_fen else None,
        )

    async def _decide(
        self,
        request: RedeemRequest,
        who: MerchantIdentity,
        code: str,
        terminal: str | None,
        binding: KeyBinding,
    ) -> tuple[RedeemRequest, RedeemOutcome]:
        """Redeem until the decision settles; the request as it was decided (a code
        checked by its signature carries no digest)."""

        async def attempt() -> RedeemOutcome:
            nonlocal request
            try:
                try:
                    return await self.redemptions.redeem(request)
                except SignatureNeeded:
                    verify_code(code, self.public_keys)
                    request = replace(request, code_digest="")
                    return await self.redemptions.redeem(request)
            except InvalidCode:
                # Not the code issued for this serial: a failed guess, which holds no key.
                await self.codes.failed(who, terminal)
                await self.bindings.unbind(binding)
                raise
            except EngineError as exc:
                exc.campaign_id = request.campaign_id  # lets the edge count refusals per campaign
                raise

        outcome = await until_settled(
            attempt, lambda o: "new" if o.is_new else o.state, self.wait_s
        )
        return request, outcome

    async def _make_durable(
        self, request: RedeemRequest, outcome: RedeemOutcome, request_id: str
    ) -> None:
        event = VoucherRedeemed(
            redemption_id=request.redemption_id,
            campaign_id=request.campaign_id,
            serial=request.serial,
            merchant_id=request.merchant_id,
            face_value_fen=outcome.face_value_fen,
            redeemed_at_ms=outcome.at_ms,
            request_id=request_id,
            amount_fen=outcome.amount_fen,
            balance_fen=outcome.balance_fen,
            store_id=request.store_id or "",
            terminal_id=request.terminal_id or "",
            order_fen=outcome.order_fen,
        )
        decision = Decision("redemption", request.campaign_id, request.redemption_id)
        await make_durable(
            # Keyed by merchant: one partition holds a merchant's ledger chain in order.
            publish=lambda: self.publisher.publish(event, key=request.merchant_id),
            confirm=lambda at: self.settlement.confirm_soon(decision, request.serial, at),
            release=lambda: self.redemptions.release_redemption(
                request.campaign_id, request.serial, request.redemption_id
            ),
        )

    async def redeem_offline(
        self, who: MerchantIdentity, items: Sequence[OfflineItem], request_id: str = ""
    ) -> list[dict[str, Any]]:
        """Apply a terminal's offline redemptions in order; say what became of each.

        The terminal's clock is trusted only back to the upload time minus the stated
        tolerance: a terminal cannot backdate a redemption to before a voucher expired.
        """
        now = self.clock.now()
        hours = self.offline_max_age.total_seconds() / 3600
        results = []
        for index, item in enumerate(items):
            result: dict[str, Any] = {"index": index, "idempotency_key": item.idempotency_key}
            try:
                if not now - self.offline_max_age <= item.redeemed_at <= now + CLOCK_SKEW:
                    raise ValidationFailed(
                        f"redeemed_at must be within the {hours:g} hours before the upload"
                    )
                answer = await self.redeem(
                    who,
                    item.code,
                    item.idempotency_key,
                    request_id,
                    item.amount_fen,
                    item.terminal_id,
                    at=item.redeemed_at,
                    order_fen=item.order_fen,
                )
                result |= {"status": "accepted", "redemption": answer.as_dict()}
            except (AlreadyRedeemed, InsufficientBalance) as exc:
                result |= {
                    "status": "conflict",
                    "reason": exc.slug,
                    "detail": exc.detail,
                    **exc.extra,
                }
            except EngineError as exc:
                result |= {"status": "rejected", "reason": exc.slug, "detail": exc.detail}
            results.append(result)
        return results


def _on_order(discount: Discount | None, order_fen: int | None) -> dict[str, Any]:
    """What a discount voucher would grant an order, as verify shows it."""
    if discount is None or order_fen is None:
        return {"order_fen": None, "grants_fen": None, "shortfall_fen": None}
    return {
        "order_fen": order_fen,
        "grants_fen": granted(discount, order_fen),
        "shortfall_fen": shortfall(discount, order_fen),
    }
