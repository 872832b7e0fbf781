"""Redis adapter: every atomic decision is one Lua script, loaded once per client."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

import redis.asyncio as redis
import structlog
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from engine import keys
from engine.domain.campaigns import Campaign

log = structlog.get_logger("engine.redis")
_SCRIPTS = (
    "admit",
    "release_claim",
    "confirm",
    "take",
    "activate",
    "redeem",
    "release_redemption",
    "init_campaign",
)


def connect(url: str, max_connections: int) -> redis.Redis:
    # BlockingConnectionPool waits for a free connection under a burst instead of raising.
    pool = redis.BlockingConnectionPool.from_url(url, max_connections=max_connections, timeout=5)
    return redis.Redis(connection_pool=pool)


@dataclass(frozen=True, slots=True)
class Activation:
    campaign_id: str
    claim_id: str
    serial: int
    face_value_fen: int
    expires_at: int


class RedisStore:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        lua = resources.files("engine.adapters") / "lua"
        self._scripts: dict[str, AsyncScript] = {
            name: client.register_script((lua / f"{name}.lua").read_text()) for name in _SCRIPTS
        }
        self._confirms: list[tuple[str, int]] = []
        self._confirm_flush: asyncio.Task | None = None

    async def close(self) -> None:
        if self._confirm_flush is not None:
            await self._confirm_flush
        await self.client.aclose()

    async def init_campaign(self, c: Campaign) -> bool:
        args = [
            c.quota,
            c.per_worker_limit,
            int(c.claim_opens_at.timestamp() * 1000),
            int(c.claim_closes_at.timestamp() * 1000),
            c.face_value_fen,
            int(c.valid_until.timestamp()),
            c.number,
            len(c.eligible_categories),
            *c.eligible_categories,
            *c.merchants,
        ]
        ks = [keys.campaign(c.id), keys.eligible_categories(c.id), keys.merchants(c.id)]
        return bool(await self._scripts["init_campaign"](keys=ks, args=args))

    async def campaign_counters(self, campaign_id: str) -> dict[str, int]:
        raw = await self.client.hmget(
            keys.campaign(campaign_id), "remaining", "admitted", "issued", "redeemed"
        )
        names = ("remaining", "admitted", "issued", "redeemed")
        return {n: int(v) for n, v in zip(names, raw, strict=True) if v is not None}

    async def admit(self, campaign_id: str, claim_id: str, worker_id: str, category: str) -> list:
        ks = [
            keys.campaign(campaign_id),
            keys.per_worker(campaign_id),
            keys.eligible_categories(campaign_id),
            keys.claim(campaign_id, claim_id),
        ]
        return await self._scripts["admit"](keys=ks, args=[worker_id, category])

    async def release_claim(
        self, campaign_id: str, claim_id: str, worker_id: str, serial: int
    ) -> str:
        ks = [
            keys.campaign(campaign_id),
            keys.per_worker(campaign_id),
            keys.claim(campaign_id, claim_id),
        ]
        return _text(await self._scripts["release_claim"](keys=ks, args=[worker_id, serial]))

    async def confirm(self, record_key: str, serial: int) -> str:
        return _text(await self._scripts["confirm"](keys=[record_key], args=[serial]))

    def confirm_soon(self, record_key: str, serial: int) -> None:
        """Confirm in the background, many per round trip.

        Confirming only lets a repeated request answer before a stream worker has
        taken the record; safety never depends on it, so it need not delay the answer.
        """
        self._confirms.append((record_key, serial))
        if self._confirm_flush is None:
            self._confirm_flush = asyncio.get_running_loop().create_task(self._flush_confirms())

    async def _flush_confirms(self) -> None:
        try:
            while self._confirms:
                batch, self._confirms = self._confirms, []
                try:
                    async with self.client.pipeline(transaction=False) as pipe:
                        for key, serial in batch:
                            await self._scripts["confirm"](keys=[key], args=[serial], client=pipe)
                        await pipe.execute()
                except RedisError as exc:
                    log.warning("confirm batch failed", size=len(batch), error=repr(exc)[:200])
        finally:
            self._confirm_flush = None

    async def claim_record(self, campaign_id: str, claim_id: str) -> dict[str, str]:
        raw = await self.client.hgetall(keys.claim(campaign_id, claim_id))
        return {_text(k): _text(v) for k, v in raw.items()}

    async def take_many(self, records: Sequence[tuple[str, int]]) -> list[str]:
        """Take the records behind a batch of events, in one round trip."""
        async with self.client.pipeline(transaction=False) as pipe:
            for key, serial in records:
                await self._scripts["take"](keys=[key], args=[serial], client=pipe)
            return [_text(r) for r in await pipe.execute()]

    async def activate_many(self, vouchers: Sequence[Activation]) -> list[int]:
        async with self.client.pipeline(transaction=False) as pipe:
            for v in vouchers:
                ks = [
                    keys.claim(v.campaign_id, v.claim_id),
                    keys.voucher(v.campaign_id, v.serial),
                    keys.campaign(v.campaign_id),
                ]
                args = [v.claim_id, v.face_value_fen, v.expires_at]
                await self._scripts["activate"](keys=ks, args=args, client=pipe)
            return [int(r) for r in await pipe.execute()]

    async def redeem(
        self, campaign_id: str, serial: int, merchant_id: str, redemption_id: str
    ) -> list:
        ks = [
            keys.voucher(campaign_id, serial),
            keys.merchants(campaign_id),
            keys.redemption(campaign_id, redemption_id),
            keys.campaign(campaign_id),
        ]
        return await self._scripts["redeem"](keys=ks, args=[merchant_id, redemption_id, serial])

    async def release_redemption(self, campaign_id: str, serial: int, redemption_id: str) -> str:
        ks = [
            keys.voucher(campaign_id, serial),
            keys.redemption(campaign_id, redemption_id),
            keys.campaign(campaign_id),
        ]
        return _text(await self._scripts["release_redemption"](keys=ks, args=[redemption_id]))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
