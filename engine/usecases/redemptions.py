"""A merchant redeems a voucher code, at most once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from engine import keys
from engine.adapters.kafka import EventProducer
from engine.adapters.postgres import Database
from engine.adapters.redis_store import RedisStore
from engine.domain.admission import redemption_id_for
from engine.domain.clock import Clock, to_ms
from engine.domain.codes import verify_code
from engine.domain.redemption import RedeemOutcome, interpret_redemption
from engine.errors import InvalidCode
from engine.events import VOUCHER_REDEEMED, VoucherRedeemed
from engine.usecases.acknowledge import make_durable, until_settled


@dataclass(frozen=True, slots=True)
class RedemptionAnswer:
    redemption_id: str
    campaign_id: str
    serial: int
    face_value_fen: int
    redeemed_at: str

    def as_dict(self) -> dict:
        return asdict(self)


class Redemptions:
    def __init__(
        self,
        store: RedisStore,
        producer: EventProducer,
        db: Database,
        public_keys: Mapping[int, Ed25519PublicKey],
        clock: Clock,
        wait_s: float,
    ) -> None:
        self.store, self.producer, self.db = store, producer, db
        self.public_keys, self.clock, self.wait_s = public_keys, clock, wait_s
        self._campaign_ids: dict[int, str] = {}

    async def _campaign_id(self, number: int) -> str:
        # Campaign numbers never change meaning, so the mapping is cached for good.
        if number not in self._campaign_ids:
            campaign_id = await self.db.campaign_id_by_number(number)
            if campaign_id is None:
                raise InvalidCode()
            self._campaign_ids[number] = campaign_id
        return self._campaign_ids[number]

    async def redeem(
        self, merchant_id: str, code: str, idempotency_key: str, request_id: str = ""
    ) -> RedemptionAnswer:
        payload = verify_code(code, self.public_keys)
        campaign_id = await self._campaign_id(payload.campaign_number)
        serial = payload.serial
        rid = redemption_id_for(campaign_id, merchant_id, idempotency_key)

        async def attempt() -> RedeemOutcome:
            now_ms = to_ms(self.clock.now())
            reply = await self.store.redeem(campaign_id, serial, merchant_id, rid, now_ms)
            return interpret_redemption(reply)

        outcome = await until_settled(
            attempt, lambda o: "new" if o.is_new else o.state, self.wait_s
        )
        if outcome.is_new:
            event = VoucherRedeemed(
                redemption_id=rid,
                campaign_id=campaign_id,
                serial=serial,
                merchant_id=merchant_id,
                face_value_fen=outcome.face_value_fen,
                redeemed_at_ms=outcome.at_ms,
                request_id=request_id,
            )
            await make_durable(
                publish=lambda: self.producer.publish(VOUCHER_REDEEMED, rid, event),
                confirm=lambda: self.store.confirm_soon(keys.redemption(campaign_id, rid), serial),
                release=lambda: self.store.release_redemption(campaign_id, serial, rid),
            )
        redeemed_at = datetime.fromtimestamp(outcome.at_ms / 1000, UTC).isoformat()
        return RedemptionAnswer(rid, campaign_id, serial, outcome.face_value_fen, redeemed_at)
