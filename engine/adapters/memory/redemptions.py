"""Redemption and reversal decisions in memory, by redeem.lua's and reverse.lua's rules
(RedemptionStore)."""

from __future__ import annotations

from dataclasses import replace

from engine.adapters.memory.live_state import LiveState
from engine.domain.live_records import (
    MISSING,
    RELEASED,
    RedemptionRecord,
    ReversalRecord,
    VoucherState,
)
from engine.domain.redemption import (
    NEW,
    REPEAT,
    RedeemOutcome,
    RedeemRequest,
    ReverseOutcome,
    ReverseRequest,
    iso_ms,
)
from engine.domain.settlement import Decision
from engine.domain.stations import TO_CHOOSE
from engine.errors import (
    AlreadyRedeemed,
    AnotherStation,
    Expired,
    Forbidden,
    IdempotencyKeyReused,
    InsufficientBalance,
    InvalidCode,
    NotFound,
    NotYetIssued,
    ReversalWindowClosed,
    Revoked,
    SignatureNeeded,
    StationNotChosen,
    TooEarly,
    Unavailable,
)


class MemoryRedemptions:
    def __init__(self, live: LiveState) -> None:
        self.live = live

    async def redeem(self, request: RedeemRequest) -> RedeemOutcome:
        campaign = self.live.live(request.campaign_id)
        if campaign is None:
            raise Unavailable("The campaign's live state is being rebuilt; retry shortly")
        state = campaign.state
        voucher = state.vouchers.get(request.serial)
        if request.code_digest:
            if voucher is None or not voucher.code_digest:
                raise SignatureNeeded()
            if voucher.code_digest != request.code_digest:
                raise InvalidCode()
        held = state.redemptions.get(request.redemption_id)
        if held is not None and held.state != RELEASED:
            return _repeated(held, campaign.request_digest.get(request.redemption_id, ""), request)
        if request.merchant_id not in campaign.merchants:
            raise Forbidden("This merchant is not enrolled in the voucher's campaign")
        amount, used = _redeemable(voucher, request)
        assert voucher is not None  # _redeemable refused a voucher not issued
        balance = voucher.balance_fen - used
        spent = replace(
            voucher,
            balance_fen=balance,
            redeemed_by=request.merchant_id,
            redeemed_at_ms=request.at_ms,
        )
        if balance == 0:
            spent = replace(spent, status="redeemed")
            state.counters.redeemed += 1
        state.vouchers[request.serial] = spent
        state.counters.redeemed_fen += amount
        campaign.redemptions_per_s[request.at_ms // 1000] += 1
        state.redemptions[request.redemption_id] = RedemptionRecord(
            "pending",
            request.serial,
            request.merchant_id,
            request.at_ms,
            amount,
            balance,
            voucher.face_value_fen,
            0,
            request.store_id or "",
            request.terminal_id or "",
            request.order_fen,
        )
        campaign.request_digest[request.redemption_id] = request.request_digest
        self.live.unsettled[Decision("redemption", request.campaign_id, request.redemption_id)] = (
            request.at_ms
        )
        return RedeemOutcome(
            NEW,
            "pending",
            request.at_ms,
            amount,
            balance,
            voucher.face_value_fen,
            request.order_fen,
        )

    async def release_redemption(self, campaign_id: str, serial: int, redemption_id: str) -> str:
        campaign = self.live.live(campaign_id)
        held = campaign.state.redemptions.get(redemption_id) if campaign else None
        if campaign is None or held is None:
            return MISSING
        if held.state != "pending":
            return held.state
        state = campaign.state
        voucher = state.vouchers[serial]
        if voucher.status == "redeemed":
            voucher = replace(voucher, status="issued")
            state.counters.redeemed -= 1
        state.vouchers[serial] = replace(voucher, balance_fen=voucher.balance_fen + held.used_fen)
        state.counters.redeemed_fen -= held.amount_fen
        state.redemptions[redemption_id] = replace(held, state=RELEASED)
        self.live.unsettled.pop(Decision("redemption", campaign_id, redemption_id), None)
        return RELEASED

    async def reverse(self, request: ReverseRequest) -> ReverseOutcome:
        campaign = self.live.live(request.campaign_id)
        if campaign is None:
            raise NotFound("No such redemption")
        state = campaign.state
        held = state.reversals.get(request.reversal_id)
        if held is not None and held.state != RELEASED:
            digest = campaign.request_digest.get(request.reversal_id, "")
            if held.redemption_id != request.redemption_id or (
                digest and request.request_digest and digest != request.request_digest
            ):
                raise IdempotencyKeyReused()
            return ReverseOutcome(REPEAT, held.state, held.amount_fen, held.at_ms)
        redemption = state.redemptions.get(request.redemption_id)
        amount = _reversible(redemption, request)
        assert redemption is not None  # _reversible refused a missing one
        voucher = state.vouchers[request.serial]
        if voucher.status == "redeemed":
            voucher = replace(voucher, status="issued")
            state.counters.redeemed -= 1
        given_back = redemption.face_value_fen if redemption.order_fen else amount
        state.vouchers[request.serial] = replace(
            voucher, balance_fen=voucher.balance_fen + given_back
        )
        state.redemptions[request.redemption_id] = replace(
            redemption, refunded_fen=redemption.refunded_fen + amount
        )
        state.counters.reversed_fen += amount
        state.reversals[request.reversal_id] = ReversalRecord(
            "pending",
            request.serial,
            request.merchant_id,
            request.redemption_id,
            amount,
            request.now_ms,
        )
        campaign.request_digest[request.reversal_id] = request.request_digest
        self.live.unsettled[Decision("reversal", request.campaign_id, request.reversal_id)] = (
            request.now_ms
        )
        return ReverseOutcome(NEW, "pending", amount, request.now_ms, redemption.order_fen)

    async def release_reversal(self, request: ReverseRequest) -> str:
        """'released', 'spent' (the refund was redeemed again: complete it instead) or the
        state it had settled in."""
        campaign = self.live.live(request.campaign_id)
        held = campaign.state.reversals.get(request.reversal_id) if campaign else None
        if campaign is None or held is None:
            return MISSING
        if held.state != "pending":
            return held.state
        state = campaign.state
        voucher = state.vouchers[request.serial]
        redemption = state.redemptions[request.redemption_id]
        taken = redemption.face_value_fen if redemption.order_fen else held.amount_fen
        if voucher.balance_fen < taken:
            return "spent"
        voucher = replace(voucher, balance_fen=voucher.balance_fen - taken)
        if voucher.balance_fen == 0 and voucher.status == "issued":
            voucher = replace(voucher, status="redeemed")
            state.counters.redeemed += 1
        state.vouchers[request.serial] = voucher
        state.redemptions[request.redemption_id] = replace(
            redemption, refunded_fen=redemption.refunded_fen - held.amount_fen
        )
        state.counters.reversed_fen -= held.amount_fen
        state.reversals[request.reversal_id] = replace(held, state=RELEASED)
        self.live.unsettled.pop(
            Decision("reversal", request.campaign_id, request.reversal_id), None
        )
        return RELEASED

    async def redemption_record(self, campaign_id: str, redemption_id: str) -> RedemptionRecord:
        campaign = self.live.live(campaign_id)
        found = campaign.state.redemptions.get(redemption_id) if campaign else None
        return found or RedemptionRecord(MISSING)

    async def voucher_state(self, campaign_id: str, serial: int) -> VoucherState | None:
        """None until the voucher is issued (active)."""
        campaign = self.live.live(campaign_id)
        return campaign.state.vouchers.get(serial) if campaign else None

    async def is_enrolled(self, campaign_id: str, merchant_id: str) -> bool:
        campaign = self.live.live(campaign_id)
        return campaign is not None and merchant_id in campaign.merchants


def _repeated(held: RedemptionRecord, digest: str, request: RedeemRequest) -> RedeemOutcome:
    """The first answer to a repeated redemption; refused when its key meant another."""
    if held.serial != request.serial or (
        digest and request.request_digest and digest != request.request_digest
    ):
        raise IdempotencyKeyReused()
    return RedeemOutcome(
        REPEAT,
        held.state,
        held.at_ms,
        held.amount_fen,
        held.balance_fen,
        held.face_value_fen,
        held.order_fen,
    )


def _redeemable(voucher: VoucherState | None, request: RedeemRequest) -> tuple[int, int]:
    """The amount this redemption grants and what it takes from the balance; raise why it
    may not."""
    if voucher is None:
        raise NotYetIssued()
    if voucher.station_id == TO_CHOOSE:
        raise StationNotChosen("Choose where to pick it up first")
    if voucher.station_id and voucher.station_id != (request.store_id or ""):
        store = voucher.station_id
        raise AnotherStation(f"Handed out only at store {store}, the one it was claimed for")
    if voucher.status == "expired":
        raise Expired()
    if voucher.status == "revoked":
        raise Revoked()
    if voucher.status == "redeemed":
        raise AlreadyRedeemed(
            redeemed_by=voucher.redeemed_by, redeemed_at=iso_ms(voucher.redeemed_at_ms or 0)
        )
    if request.at_ms >= voucher.expires_at_s * 1000:
        raise Expired()
    if request.at_ms < voucher.check_in_from_ms:
        raise TooEarly(check_in_from=iso_ms(voucher.check_in_from_ms))
    balance = voucher.balance_fen
    if request.order_fen:
        # A discount is granted on the whole voucher, never on what a reversal left of it.
        whole = balance == voucher.face_value_fen and 0 < request.amount_fen <= balance
        amount, refused = request.amount_fen, not whole
    else:
        amount = request.amount_fen or balance
        refused = (not voucher.stored_value and amount != balance) or not 0 < amount <= balance
    if refused:
        raise InsufficientBalance(
            f"The voucher has {balance} fen left; a single-use voucher is redeemed whole",
            balance_fen=balance,
        )
    return amount, balance if request.order_fen else amount


def _reversible(redemption: RedemptionRecord | None, request: ReverseRequest) -> int:
    """The amount this reversal gives back; raise why it may not."""
    if redemption is None or redemption.state == RELEASED:
        raise NotFound("No such redemption")
    if redemption.merchant_id != request.merchant_id or (
        request.store_id and redemption.store_id != request.store_id
    ):
        raise Forbidden("A merchant may reverse only its own redemptions, a store key its store's")
    if request.now_ms - redemption.at_ms > request.window_ms:
        raise ReversalWindowClosed()
    left = redemption.amount_fen - redemption.refunded_fen
    amount = request.amount_fen or left
    if amount <= 0 or amount > left or (redemption.order_fen and amount != left):
        raise InsufficientBalance(
            f"At most {left} fen of this redemption can be given back (a discount only whole)",
            refundable_fen=left,
        )
    return amount
