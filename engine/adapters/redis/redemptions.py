"""Redemption decisions in Redis: redeem, reverse, and undo either before it is taken."""

from __future__ import annotations

from engine.adapters.failures import translated
from engine.adapters.redis import keys, records, replies
from engine.adapters.redis.connection import Arg, Client, Scripts, text, texts
from engine.domain.live_records import RedemptionRecord, VoucherState
from engine.domain.redemption import RedeemOutcome, RedeemRequest, ReverseOutcome, ReverseRequest


@translated
class RedisRedemptions:
    def __init__(self, client: Client, scripts: Scripts) -> None:
        self.client, self.scripts = client, scripts
        self.redeem_group = scripts.group_commit("redeem")

    async def redeem(self, request: RedeemRequest) -> RedeemOutcome:
        ks = [
            keys.voucher(request.campaign_id, request.serial),
            keys.merchants(request.campaign_id),
            keys.redemption(request.campaign_id, request.redemption_id),
            keys.campaign(request.campaign_id),
            keys.redemption_rate(request.campaign_id, request.at_ms // 60_000),
            keys.unsettled(request.campaign_id),
        ]
        args: list[Arg] = [
            request.merchant_id,
            request.redemption_id,
            request.serial,
            request.at_ms,
            request.amount_fen,
            request.store_id or "",
            request.terminal_id or "",
            request.code_digest,
            request.request_digest,
            request.order_fen,
        ]
        return replies.redemption(await self.redeem_group.run(ks, args))

    async def release_redemption(self, campaign_id: str, serial: int, redemption_id: str) -> str:
        ks = [
            keys.voucher(campaign_id, serial),
            keys.redemption(campaign_id, redemption_id),
            keys.campaign(campaign_id),
            keys.unsettled(campaign_id),
        ]
        return text(await self.scripts.run("release_redemption", ks))

    async def reverse(self, request: ReverseRequest) -> ReverseOutcome:
        args: list[Arg] = [
            request.merchant_id,
            request.reversal_id,
            request.amount_fen,
            request.now_ms,
            request.window_ms,
            request.serial,
            request.redemption_id,
            request.store_id or "",
            request.request_digest,
        ]
        return replies.reversal(await self.scripts.run("reverse", _reversal_keys(request), args))

    async def release_reversal(self, request: ReverseRequest) -> str:
        """'released', 'spent' (the refund was redeemed again: complete it instead) or the
        state it had settled in."""
        return text(await self.scripts.run("release_reversal", _reversal_keys(request)))

    async def redemption_record(self, campaign_id: str, redemption_id: str) -> RedemptionRecord:
        fields = await self.client.hgetall(keys.redemption(campaign_id, redemption_id))
        return records.redemption_record(texts(fields))

    async def voucher_state(self, campaign_id: str, serial: int) -> VoucherState | None:
        fields = await self.client.hgetall(keys.voucher(campaign_id, serial))
        return records.voucher_state(texts(fields))

    async def is_enrolled(self, campaign_id: str, merchant_id: str) -> bool:
        return bool(await self.client.sismember(keys.merchants(campaign_id), merchant_id))


def _reversal_keys(request: ReverseRequest) -> list[str]:
    return [
        keys.voucher(request.campaign_id, request.serial),
        keys.redemption(request.campaign_id, request.redemption_id),
        keys.reversal(request.campaign_id, request.reversal_id),
        keys.campaign(request.campaign_id),
        keys.unsettled(request.campaign_id),
    ]
