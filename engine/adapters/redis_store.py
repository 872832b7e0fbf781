"""Redis adapter: every atomic decision is one Lua script, loaded once per client."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import resources

import redis.asyncio as redis
import structlog
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from engine import keys
from engine.domain.campaigns import Campaign
from engine.metrics import REDIS_SCRIPT_DURATION

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
    "expire",
    "cap_reserve",
    "cap_release",
    "reverse",
    "release_reversal",
    "throttle",
    "revoke",
)


def connect(url: str, max_connections: int) -> redis.Redis:
    # BlockingConnectionPool waits for a free connection under a burst instead of raising.
    # A pooled connection that died with a Redis restart fails when used; the command was
    # not sent, so it is retried on a fresh connection (only connection errors: a timeout
    # may have run the command).
    pool = redis.BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=5,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 3),
        retry_on_error=[RedisConnectionError],
    )
    return redis.Redis(connection_pool=pool)


@dataclass(frozen=True, slots=True)
class AdmitRequest:
    campaign_id: str
    claim_id: str
    worker_id: str
    category: str
    now_ms: int
    face_value_fen: int
    period: str = "none"
    period_ttl_s: int = 0
    via_draw: bool = False
    rate_per_min: int = 0  # claim requests one worker may make to the campaign; 0: no limit


def definition_fields(c: Campaign) -> dict[str, str | int]:
    """What the admission script needs of a campaign's definition."""
    return {
        "status": c.status.value,
        "opens_ms": _ms(c.claim_opens_at),
        "closes_ms": _ms(c.claim_closes_at),
        "quota": c.quota,
        "per_worker_limit": c.per_worker_limit,
        "period_limit": c.period_limit.limit if c.period_limit else 0,
        "face": c.face_value_fen,
        "valid_until": int(c.valid_until.timestamp()),
        "number": c.number,
        "version": c.version,
        "budget": c.budget_fen or 0,
        "waves": ",".join(f"{_ms(w.at)}:{w.quantity}" for w in c.waves),
        "rollover": int(c.rollover),
        "pool": int(c.partner_pool),
        "lottery": int(c.lottery is not None),
    }


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass(frozen=True, slots=True)
class CapReservation:
    group: str
    period: str
    claim_id: str
    worker_id: str
    campaign_id: str
    amount: int


@dataclass(frozen=True, slots=True)
class RedeemRequest:
    campaign_id: str
    serial: int
    merchant_id: str
    redemption_id: str
    at_ms: int
    amount_fen: int = 0  # 0: the whole balance
    store_id: str | None = None
    terminal_id: str | None = None


@dataclass(frozen=True, slots=True)
class ReverseRequest:
    campaign_id: str
    serial: int
    merchant_id: str
    redemption_id: str
    reversal_id: str
    amount_fen: int  # 0: everything not yet refunded
    now_ms: int
    window_ms: int
    store_id: str | None = None  # a store key reverses only its own store's redemptions


@dataclass(frozen=True, slots=True)
class Activation:
    campaign_id: str
    claim_id: str
    serial: int
    face_value_fen: int
    expires_at: int
    stored_value: bool = False


class RedisStore:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        lua = resources.files("engine.adapters") / "lua"
        self._scripts: dict[str, AsyncScript] = {
            name: client.register_script((lua / f"{name}.lua").read_text()) for name in _SCRIPTS
        }
        self._confirms: list[tuple[str, int]] = []
        self._confirm_flush: asyncio.Task | None = None
        self._refusals: dict[tuple[str, str], int] = {}
        self._refusal_flush: asyncio.Task | None = None

    async def _run(self, name: str, keys: list[str], args: list | None = None):
        with REDIS_SCRIPT_DURATION.labels(name).time():
            return await self._scripts[name](keys=keys, args=args or [])

    async def _timed(self, pipe) -> list:
        with REDIS_SCRIPT_DURATION.labels("pipeline").time():
            return await pipe.execute()

    async def close(self) -> None:
        for task in (self._confirm_flush, self._refusal_flush):
            if task is not None:
                await task
        await self.client.aclose()

    async def init_campaign(self, c: Campaign) -> None:
        """Write the definition (every call) and the counters (first call only)."""
        pairs = [x for item in definition_fields(c).items() for x in item]
        args = [
            len(pairs) // 2,
            *pairs,
            len(c.eligible_categories),
            *c.eligible_categories,
            *c.merchants,
        ]
        ks = [keys.campaign(c.id), keys.eligible_categories(c.id), keys.merchants(c.id)]
        await self._run("init_campaign", keys=ks, args=args)

    async def admission_buckets(self, campaign_id: str, now_ms: int) -> dict[int, tuple[int, int]]:
        """Admissions and fen per second over this minute and the one before."""
        minute = now_ms // 60_000
        async with self.client.pipeline(transaction=False) as pipe:
            for m in (minute - 1, minute):
                pipe.hgetall(keys.admission_rate(campaign_id, m))
            raw: dict[str, int] = {}
            for part in await pipe.execute():
                raw |= {_text(k): int(v) for k, v in part.items()}
        return {int(k): (v, raw.get(f"{k}:fen", 0)) for k, v in raw.items() if ":" not in k}

    async def windows(self, campaign_id: str, kind: str, size: str) -> dict[int, int]:
        raw = await self.client.hgetall(keys.window(campaign_id, kind, size))
        return {int(k): int(v) for k, v in raw.items()}

    async def revoke(self, campaign_id: str, serial: int, reason: str) -> int:
        ks = [keys.voucher(campaign_id, serial), keys.campaign(campaign_id)]
        return int(await self._run("revoke", keys=ks, args=[reason]))

    def count_refusal_soon(self, campaign_id: str, reason: str) -> None:
        """Refusal counts feed the dashboard only: gathered in memory, written in batches."""
        self._refusals[(campaign_id, reason)] = self._refusals.get((campaign_id, reason), 0) + 1
        if self._refusal_flush is None:
            self._refusal_flush = asyncio.get_running_loop().create_task(self._flush_refusals())

    async def _flush_refusals(self) -> None:
        try:
            await asyncio.sleep(0.2)  # let a burst's refusals share one round trip
            counts, self._refusals = self._refusals, {}
            async with self.client.pipeline(transaction=False) as pipe:
                for (campaign_id, reason), n in counts.items():
                    pipe.hincrby(keys.refusals(campaign_id), reason, n)
                await pipe.execute()
        except RedisError as exc:
            log.warning("refusal counts lost", error=repr(exc)[:200])
        finally:
            self._refusal_flush = None

    async def refusal_counts(self, campaign_id: str) -> dict[str, int]:
        raw = await self.client.hgetall(keys.refusals(campaign_id))
        return {_text(k): int(v) for k, v in raw.items()}

    async def redemptions_last_second(self, campaign_id: str, now_ms: int) -> int:
        second = now_ms // 1000 - 1
        value = await self.client.hget(keys.redemption_rate(campaign_id, second // 60), str(second))
        return int(value or 0)

    async def wave_admitted(self, campaign_id: str, wave: int) -> int:
        return int(await self.client.hget(keys.campaign(campaign_id), f"wave_admitted:{wave}") or 0)

    async def set_status(self, campaign_id: str, status: str) -> None:
        await self.client.hset(keys.campaign(campaign_id), "status", status)

    async def campaign_counters(self, campaign_id: str) -> dict[str, int]:
        names = (
            "admitted",
            "issued",
            "redeemed",
            "spent",
            "expired",
            "reclaimed",
            "redeemed_fen",
            "reversed_fen",
        )
        raw = await self.client.hmget(keys.campaign(campaign_id), *names)
        return {n: int(v) for n, v in zip(names, raw, strict=True) if v is not None}

    async def admit(self, a: AdmitRequest) -> list:
        ks = [
            keys.campaign(a.campaign_id),
            keys.per_worker(a.campaign_id),
            keys.per_period(a.campaign_id, a.period),
            keys.eligible_categories(a.campaign_id),
            keys.claim(a.campaign_id, a.claim_id),
            keys.partner_pool(a.campaign_id),
            keys.admission_rate(a.campaign_id, a.now_ms // 60_000),
            keys.unsettled(a.campaign_id),
            keys.claim_rate(a.campaign_id, a.worker_id),
        ]
        args = [
            a.worker_id,
            a.category,
            a.now_ms,
            a.face_value_fen,
            a.period_ttl_s,
            "1" if a.via_draw else "0",
            a.rate_per_min,
        ]
        return await self._run("admit", keys=ks, args=args)

    async def release_claim(self, a: AdmitRequest, serial: int) -> str:
        ks = [
            keys.campaign(a.campaign_id),
            keys.per_worker(a.campaign_id),
            keys.per_period(a.campaign_id, a.period),
            keys.claim(a.campaign_id, a.claim_id),
            keys.partner_pool(a.campaign_id),
            keys.unsettled(a.campaign_id),
        ]
        return _text(await self._run("release_claim", keys=ks, args=[a.worker_id, serial]))

    async def cap_reserve(self, r: CapReservation, cap: int, ttl_s: int, now_ms: int) -> int:
        """1 reserved now, 2 already reserved for this claim, 0 over the cap."""
        ks = [
            keys.cap_spent(r.group, r.period),
            keys.cap_reservation(r.group, r.claim_id),
            keys.cap_unsettled(r.group),
        ]
        args = [r.worker_id, r.amount, cap, ttl_s, r.claim_id, r.campaign_id, r.period, now_ms]
        return int(await self._run("cap_reserve", keys=ks, args=args))

    async def cap_release(self, group: str, period: str, claim_id: str, worker_id: str) -> bool:
        ks = [
            keys.cap_spent(group, period),
            keys.cap_reservation(group, claim_id),
            keys.cap_unsettled(group),
        ]
        return bool(await self._run("cap_release", keys=ks, args=[worker_id, claim_id]))

    async def cap_unsettled_before(self, group: str, cutoff_ms: int) -> list[CapReservation]:
        """Reservations made before `cutoff_ms` not yet known to belong to an admission."""
        claim_ids = await self.client.zrangebyscore(
            keys.cap_unsettled(group), "-inf", cutoff_ms, start=0, num=1000
        )
        claim_ids = [_text(c) for c in claim_ids]
        async with self.client.pipeline(transaction=False) as pipe:
            for claim_id in claim_ids:
                pipe.hgetall(keys.cap_reservation(group, claim_id))
            raw = await pipe.execute()
        found = []
        for claim_id, fields in zip(claim_ids, raw, strict=True):
            record = {_text(k): _text(v) for k, v in fields.items()}
            found.append(
                CapReservation(
                    group,
                    record.get("period", ""),
                    claim_id,
                    record.get("worker", ""),
                    record.get("campaign", ""),
                    int(record.get("amount", 0)),
                )
            )
        return found

    async def cap_settled(self, group: str, claim_id: str) -> None:
        await self.client.zrem(keys.cap_unsettled(group), claim_id)

    async def add_to_pool(self, campaign_id: str, codes: Sequence[str]) -> None:
        if codes:
            await self.client.sadd(keys.partner_pool(campaign_id), *codes)

    async def pool_size(self, campaign_id: str) -> int:
        return await self.client.scard(keys.partner_pool(campaign_id))

    async def expire_many(self, vouchers: Sequence[tuple[str, int]]) -> list[int]:
        """Expire (campaign id, serial) vouchers; 1 where this call reclaimed the stock."""
        async with self.client.pipeline(transaction=False) as pipe:
            for campaign_id, serial in vouchers:
                ks = [keys.voucher(campaign_id, serial), keys.campaign(campaign_id)]
                await self._scripts["expire"](keys=ks, client=pipe)
            return [int(r) for r in await self._timed(pipe)]

    async def cache_profiles(self, profiles: Sequence[tuple[str, dict[str, str]]]) -> None:
        async with self.client.pipeline(transaction=False) as pipe:
            for worker_id, record in profiles:
                key = keys.worker_profile(worker_id)
                pipe.delete(key)
                if record:
                    pipe.hset(key, mapping=record)
            await pipe.execute()

    async def cached_profile(self, worker_id: str) -> dict[str, str]:
        return await self.record(keys.worker_profile(worker_id))

    async def confirm(self, record_key: str, serial: int) -> str:
        return _text(await self._run("confirm", keys=_settling(record_key), args=[serial]))

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
                            await self._scripts["confirm"](
                                keys=_settling(key), args=[serial], client=pipe
                            )
                        await pipe.execute()
                except RedisError as exc:
                    log.warning("confirm batch failed", size=len(batch), error=repr(exc)[:200])
        finally:
            self._confirm_flush = None

    async def unsettled_before(
        self, campaign_id: str, cutoff_ms: int, limit: int = 1000
    ) -> list[str]:
        raw = await self.client.zrangebyscore(
            keys.unsettled(campaign_id), "-inf", cutoff_ms, start=0, num=limit
        )
        return [_text(k) for k in raw]

    async def forget_unsettled(self, record_key: str) -> None:
        await self.client.zrem(keys.unsettled_of(record_key), record_key)

    async def record(self, key: str) -> dict[str, str]:
        raw = await self.client.hgetall(key)
        return {_text(k): _text(v) for k, v in raw.items()}

    async def claim_record(self, campaign_id: str, claim_id: str) -> dict[str, str]:
        return await self.record(keys.claim(campaign_id, claim_id))

    async def take_many(self, records: Sequence[tuple[str, int]]) -> list[str]:
        """Take the records behind a batch of events, in one round trip."""
        async with self.client.pipeline(transaction=False) as pipe:
            for key, serial in records:
                await self._scripts["take"](keys=_settling(key), args=[serial], client=pipe)
            return [_text(r) for r in await self._timed(pipe)]

    async def activate_many(self, vouchers: Sequence[Activation]) -> list[int]:
        async with self.client.pipeline(transaction=False) as pipe:
            for v in vouchers:
                ks = [
                    keys.claim(v.campaign_id, v.claim_id),
                    keys.voucher(v.campaign_id, v.serial),
                    keys.campaign(v.campaign_id),
                ]
                args = [v.claim_id, v.face_value_fen, v.expires_at, int(v.stored_value)]
                await self._scripts["activate"](keys=ks, args=args, client=pipe)
            return [int(r) for r in await self._timed(pipe)]

    async def redeem(self, r: RedeemRequest) -> list:
        ks = [
            keys.voucher(r.campaign_id, r.serial),
            keys.merchants(r.campaign_id),
            keys.redemption(r.campaign_id, r.redemption_id),
            keys.campaign(r.campaign_id),
            keys.redemption_rate(r.campaign_id, r.at_ms // 60_000),
            keys.unsettled(r.campaign_id),
        ]
        args = [
            r.merchant_id,
            r.redemption_id,
            r.serial,
            r.at_ms,
            r.amount_fen,
            r.store_id or "",
            r.terminal_id or "",
        ]
        return await self._run("redeem", keys=ks, args=args)

    async def release_redemption(self, campaign_id: str, serial: int, redemption_id: str) -> str:
        ks = [
            keys.voucher(campaign_id, serial),
            keys.redemption(campaign_id, redemption_id),
            keys.campaign(campaign_id),
            keys.unsettled(campaign_id),
        ]
        return _text(await self._run("release_redemption", keys=ks))

    async def redemption_record(self, campaign_id: str, redemption_id: str) -> dict[str, str]:
        return await self.record(keys.redemption(campaign_id, redemption_id))

    async def reverse(self, r: ReverseRequest) -> list:
        args = [
            r.merchant_id,
            r.reversal_id,
            r.amount_fen,
            r.now_ms,
            r.window_ms,
            r.serial,
            r.redemption_id,
            r.store_id or "",
        ]
        return await self._run("reverse", keys=_reversal_keys(r), args=args)

    async def release_reversal(self, r: ReverseRequest) -> str:
        """'released', 'spent' (the refund was redeemed again: complete it instead) or the
        state it had settled in."""
        return _text(await self._run("release_reversal", keys=_reversal_keys(r)))

    async def voucher_state(self, campaign_id: str, serial: int) -> dict[str, str]:
        return await self.record(keys.voucher(campaign_id, serial))

    async def is_enrolled(self, campaign_id: str, merchant_id: str) -> bool:
        return bool(await self.client.sismember(keys.merchants(campaign_id), merchant_id))

    async def enrol(self, campaign_id: str, merchant_id: str) -> None:
        await self.client.sadd(keys.merchants(campaign_id), merchant_id)

    async def unenrol(self, campaign_id: str, merchant_id: str) -> None:
        await self.client.srem(keys.merchants(campaign_id), merchant_id)

    async def rate(self, caller: str, window_s: int, allowed: int) -> int:
        """Count a request of `caller`; seconds to wait when over the allowance, else 0.

        The failure throttle's script, counting every request: it refuses once the count
        reaches its limit, so the limit is one past the allowance.
        """
        args = [window_s, "1", allowed + 1]
        return int(await self._run("throttle", keys=[keys.rate(caller)], args=args))

    async def credential_failure(self, address: str, window_s: int, allowed: int) -> int:
        """Count a wrong credential from `address`; seconds it must wait when over the
        allowance, else 0."""
        key = keys.credential_failures(address)
        return int(await self._run("throttle", keys=[key], args=[window_s, "1", allowed]))

    async def throttle(
        self, merchant_id: str, limits: Sequence[tuple[str, int]], window_s: int, failed: bool
    ) -> int:
        """Seconds to wait before trying again (0 = go ahead); counts a failure if `failed`.

        `limits` pairs a scope (a terminal, a key) with its allowance per window.
        """
        ks = [keys.failures(merchant_id, scope) for scope, _ in limits]
        args = [window_s, "1" if failed else "0", *(limit for _, limit in limits)]
        return int(await self._run("throttle", keys=ks, args=args))


def _reversal_keys(r: ReverseRequest) -> list[str]:
    return [
        keys.voucher(r.campaign_id, r.serial),
        keys.redemption(r.campaign_id, r.redemption_id),
        keys.reversal(r.campaign_id, r.reversal_id),
        keys.campaign(r.campaign_id),
        keys.unsettled(r.campaign_id),
    ]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _settling(record_key: str) -> list[str]:
    """Keys of a script that settles a record: the record and its campaign's unsettled set."""
    return [record_key, keys.unsettled_of(record_key)]
