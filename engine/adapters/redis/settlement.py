"""Settling decisions: confirmed once the broker acknowledged them, taken by the stream
worker that applies their event, and found again when an API process left them behind."""

from __future__ import annotations

from collections.abc import Sequence

from engine.adapters.redis import keys
from engine.adapters.redis.background import BackgroundBatch
from engine.adapters.redis.connection import Client, Run, Scripts, text, texts
from engine.domain.settlement import Activation, Decision

_KEY_OF = {"claim": keys.claim, "redemption": keys.redemption, "reversal": keys.reversal}


def _key(d: Decision) -> str:
    return _KEY_OF[d.kind](d.campaign_id, d.decision_id)


def _settling(d: Decision) -> list[str]:
    """Keys of a script that settles a record: the record and its campaign's unsettled set."""
    return [_key(d), keys.unsettled(d.campaign_id)]


class RedisSettlement:
    def __init__(self, client: Client, scripts: Scripts, confirm_retry_s: float = 0.0) -> None:
        """`confirm_retry_s`: how long a confirmation Redis refused is tried again."""
        self.client, self.scripts = client, scripts
        # The answer need not wait for its confirmation, but the confirmation must land:
        # an acknowledged record left 'pending' is released by the unsettled repair once
        # older than its delay, unless a stream worker took it first. So a confirmation
        # Redis refused (restart, failover) is sent again, for less than that delay.
        self.confirms: BackgroundBatch[tuple[Decision, int]] = BackgroundBatch(
            "confirm batch", self._confirm_batch, retry_for_s=confirm_retry_s
        )

    async def confirm(self, d: Decision, serial: int) -> str:
        return text(await self.scripts.run("confirm", _settling(d), [serial]))

    def confirm_soon(self, d: Decision, serial: int) -> None:
        """Confirm in the background, many per round trip."""
        self.confirms.add((d, serial))

    async def _confirm_batch(self, batch: list[tuple[Decision, int]]) -> None:
        await self.scripts.run_many("confirm", [(_settling(d), [serial]) for d, serial in batch])

    async def take_many(self, decisions: Sequence[tuple[Decision, int]]) -> list[str]:
        """Take the decisions behind a batch of events, in one round trip; their states."""
        runs = [(_settling(d), [serial]) for d, serial in decisions]
        return [text(r) for r in await self.scripts.run_many("take", runs)]

    async def activate_many(self, vouchers: Sequence[Activation]) -> list[int]:
        """Make issued vouchers redeemable; 1 where this call did (0: a replay)."""
        runs: list[Run] = [
            (
                [
                    keys.claim(v.campaign_id, v.claim_id),
                    keys.voucher(v.campaign_id, v.serial),
                    keys.campaign(v.campaign_id),
                ],
                [v.claim_id, v.face_value_fen, v.expires_at, int(v.stored_value), v.code_digest],
            )
            for v in vouchers
        ]
        return [int(r) for r in await self.scripts.run_many("activate", runs)]

    async def unsettled_before(
        self, campaign_id: str, cutoff_ms: int, limit: int = 1000
    ) -> list[Decision]:
        raw = await self.client.zrangebyscore(
            keys.unsettled(campaign_id), "-inf", cutoff_ms, start=0, num=limit
        )
        found = []
        for record_key in raw:
            kind, decision_id = keys.record_of(text(record_key))
            if kind in _KEY_OF:
                found.append(Decision(kind, campaign_id, decision_id))  # type: ignore[arg-type]
        return found

    async def forget_unsettled(self, d: Decision) -> None:
        await self.client.zrem(keys.unsettled(d.campaign_id), _key(d))

    async def record(self, d: Decision) -> dict[str, str]:
        return texts(await self.client.hgetall(_key(d)))

    async def drain(self) -> None:
        await self.confirms.drain()
