"""A code a merchant presents, read behind the guessing throttle: a full code (read, or
verified by its signature) or a short code looked up in the system of record. Every
failed check counts against the caller's terminal and key; a locked-out caller is told
when to come back."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from engine.domain.api_keys import MerchantIdentity
from engine.domain.codes import VoucherPayload, read_code, verify_code
from engine.domain.short_codes import looks_short, normalised
from engine.errors import InvalidCode, TooManyAttempts, ValidationFailed
from engine.usecases.ports import CampaignRecords, Throttle, VoucherRecords

# Failed code checks allowed per minute: per terminal (requests without X-Terminal-Id
# count as one terminal of their key), and per key across all its terminals.
FAILURES_PER_TERMINAL = 10
FAILURES_PER_KEY = 100
FAILURE_WINDOW_S = 60


class PresentedCodes:
    def __init__(
        self,
        throttle: Throttle,
        records: CampaignRecords,
        vouchers: VoucherRecords,
        public_keys: Mapping[int, Ed25519PublicKey],
    ) -> None:
        self.throttle, self.records, self.vouchers = throttle, records, vouchers
        self.public_keys = public_keys
        self._campaign_ids: dict[int, str] = {}

    async def campaign_id(self, number: int) -> str:
        # Campaign numbers never change meaning, so the mapping is cached for good.
        if number not in self._campaign_ids:
            campaign_id = await self.records.campaign_id_by_number(number)
            if campaign_id is None:
                raise InvalidCode()
            self._campaign_ids[number] = campaign_id
        return self._campaign_ids[number]

    async def genuine(
        self, who: MerchantIdentity, code: str, terminal: str | None
    ) -> VoucherPayload:
        """Verify a code behind the guessing throttle; every failure looks the same."""
        payload, _ = await self._checked(
            who, terminal, lambda: (verify_code(code, self.public_keys), "")
        )
        return payload

    async def _checked(
        self,
        who: MerchantIdentity,
        terminal: str | None,
        check: Callable[[], tuple[VoucherPayload, str]],
    ) -> tuple[VoucherPayload, str]:
        """Run a code check (payload, digest) behind the guessing throttle, counting what
        it refuses."""
        await self._not_locked_out(who, terminal)
        try:
            payload, digest = check()
            await self.campaign_id(payload.campaign_number)
            return payload, digest
        except InvalidCode:
            await self.failed(who, terminal)
            raise

    async def _not_locked_out(self, who: MerchantIdentity, terminal: str | None) -> None:
        wait = await self.throttle.code_failures(
            who.merchant_id, limits(who, terminal), FAILURE_WINDOW_S, failed=False
        )
        if wait:
            raise TooManyAttempts(retry_after_s=wait)

    async def full_code(self, who: MerchantIdentity, typed: str, terminal: str | None) -> str:
        """The full code a typed short code names, looked up behind the guessing throttle
        (a short code that names no voucher is a failed guess); any other code as given."""
        if not looks_short(typed):
            return typed
        short = normalised(typed)
        if short is None:
            # Caught by its check symbol: a typing slip, which tells a guesser nothing.
            raise ValidationFailed("the short code is mistyped: its check symbol does not match")
        await self._not_locked_out(who, terminal)
        codes = await self.vouchers.codes_by_short_code(short)
        if not codes:
            await self.failed(who, terminal)
            raise InvalidCode()
        if len(codes) > 1:
            raise ValidationFailed("this short code names more than one voucher: scan its QR code")
        return codes[0]

    async def read(
        self, who: MerchantIdentity, code: str, terminal: str | None
    ) -> tuple[VoucherPayload, str]:
        """A presented code's payload and digest. A code that cannot be a voucher's is
        refused behind the guessing throttle (as a verification is), before any key is
        bound: a request with bad input holds no Idempotency-Key."""
        try:
            payload, digest = read_code(code)
            await self.campaign_id(payload.campaign_number)
            return payload, digest
        except InvalidCode:
            return await self._checked(who, terminal, lambda: read_code(code))

    async def failed(self, who: MerchantIdentity, terminal: str | None) -> None:
        await self.throttle.code_failures(
            who.merchant_id, limits(who, terminal), FAILURE_WINDOW_S, failed=True
        )


def limits(who: MerchantIdentity, terminal: str | None) -> list[tuple[str, int]]:
    return [
        (f"terminal:{who.key_id}:{terminal or '-'}", FAILURES_PER_TERMINAL),
        (f"key:{who.key_id}", FAILURES_PER_KEY),
    ]
