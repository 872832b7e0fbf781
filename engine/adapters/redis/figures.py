"""Live figures for the dashboard and the gauges: counters, rates, windows, refusals."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from engine.adapters.failures import translated
from engine.adapters.redis import keys
from engine.adapters.redis.background import BackgroundBatch
from engine.adapters.redis.connection import Arg, Client, Run, Scripts, text
from engine.domain.stock import Counters
from engine.domain.windows import WindowCount

# The counters kept in the campaign hash, as the domain names them.
_COUNTERS = tuple(f.name for f in dataclasses.fields(Counters))


@translated
class RedisFigures:
    def __init__(self, client: Client, scripts: Scripts) -> None:
        self.client, self.scripts = client, scripts
        # Refusal counts feed the dashboard only: gathered in memory, written in batches.
        self.refusals: BackgroundBatch[tuple[str, str]] = BackgroundBatch(
            "refusal counts", self._count_refusals, delay_s=0.2
        )

    async def counters(self, campaign_id: str) -> Counters | None:
        """The campaign's live counters (None: Redis holds no state for it)."""
        raw = await self.client.hmget(keys.campaign(campaign_id), *_COUNTERS)
        if all(v is None for v in raw):
            return None
        return Counters(**{n: int(v or 0) for n, v in zip(_COUNTERS, raw, strict=True)})

    async def wave_admitted(self, campaign_id: str, wave: int) -> int:
        return int(await self.client.hget(keys.campaign(campaign_id), f"wave_admitted:{wave}") or 0)

    async def pool_size(self, campaign_id: str) -> int:
        return int(await self.client.scard(keys.partner_pool(campaign_id)))

    async def admission_buckets(self, campaign_id: str, now_ms: int) -> dict[int, tuple[int, int]]:
        """Admissions and fen per second over this minute and the one before."""
        minute = now_ms // 60_000
        async with self.client.pipeline(transaction=False) as pipe:
            for m in (minute - 1, minute):
                pipe.hgetall(keys.admission_rate(campaign_id, m))
            raw: dict[str, int] = {}
            for part in await pipe.execute():
                raw |= {text(k): int(v) for k, v in part.items()}
        return {int(k): (v, raw.get(f"{k}:fen", 0)) for k, v in raw.items() if ":" not in k}

    async def redemptions_last_second(self, campaign_id: str, now_ms: int) -> int:
        second = now_ms // 1000 - 1
        value = await self.client.hget(keys.redemption_rate(campaign_id, second // 60), str(second))
        return int(value or 0)

    async def windows(self, campaign_id: str, kind: str, size: str) -> dict[int, int]:
        raw = await self.client.hgetall(keys.window(campaign_id, kind, size))
        return {int(k): int(v) for k, v in raw.items()}

    async def count_windows(self, counts: Sequence[WindowCount], epoch: int) -> int:
        """Count events in their campaigns' windows, each once (count_window.lua); how many
        were new. Runs of one campaign and partition go in log order, in one pipeline."""
        runs: list[Run] = []
        for c in counts:
            windows = c.windows()
            ks = [
                keys.window_counted(c.campaign_id, c.kind),
                *(keys.window(c.campaign_id, c.kind, name) for name, _, _ in windows),
            ]
            args: list[Arg] = [c.partition, c.offset, epoch]
            args += [x for _, start, life in windows for x in (start, life)]
            runs.append((ks, args))
        if not runs:
            return 0
        return sum(int(r) for r in await self.scripts.run_many("count_window", runs))

    def count_refusal_soon(self, campaign_id: str, reason: str) -> None:
        self.refusals.add((campaign_id, reason))

    async def _count_refusals(self, batch: list[tuple[str, str]]) -> None:
        counts: dict[tuple[str, str], int] = {}
        for item in batch:
            counts[item] = counts.get(item, 0) + 1
        async with self.client.pipeline(transaction=False) as pipe:
            for (campaign_id, reason), n in counts.items():
                pipe.hincrby(keys.refusals(campaign_id), reason, n)
            await pipe.execute()

    async def refusal_counts(self, campaign_id: str) -> dict[str, int]:
        raw = await self.client.hgetall(keys.refusals(campaign_id))
        return {text(k): int(v) for k, v in raw.items()}

    async def drain(self) -> None:
        await self.refusals.drain()
