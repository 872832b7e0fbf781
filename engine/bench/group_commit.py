"""Group commit of admissions against one admission at a time, same Redis, same run.

    python -m engine.bench.group_commit --redis-url redis://127.0.0.1:6379/0

N concurrent callers (like the API's claims in flight) admit distinct workers to one
campaign, first through the engine's group commit (a turn's admissions in one pipeline),
then one EVALSHA each; prints admissions/s and this process's CPU per admission.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from engine.adapters.redis import Redis
from engine.adapters.redis.admissions import admit_words
from engine.domain.admission import AdmitRequest
from engine.domain.campaigns import Campaign
from engine.domain.profiles import WorkerCategory

Admit = Callable[[AdmitRequest], Awaitable[object]]


async def _campaign(live: Redis, quota: int) -> str:
    now = datetime.now(UTC)
    campaign = Campaign(
        id=f"gc-{uuid.uuid4().hex[:8]}",
        name="group commit",
        quota=quota,
        face_value_fen=300,
        per_worker_limit=1,
        claim_opens_at=now - timedelta(hours=1),
        claim_closes_at=now + timedelta(hours=1),
        valid_until=now + timedelta(days=1),
        eligible_categories=(WorkerCategory.COURIER,),
        merchants=(),
        number=1,
    )
    await live.definitions.init_campaign(campaign)
    return campaign.id


async def _measure(admit: Admit, campaign_id: str, count: int, callers: int) -> tuple[float, float]:
    now_ms = int(time.time() * 1000)
    queue = iter(range(count))

    async def caller() -> None:
        for i in queue:
            await admit(AdmitRequest(campaign_id, f"c{i}", f"w{i}", "courier", now_ms, 300))

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(callers)))
    return count / (time.perf_counter() - wall), (time.process_time() - cpu) / count * 1e6


async def main(url: str, count: int, callers: int) -> None:
    live = Redis.connect(url, 64)
    try:

        async def single(request: AdmitRequest) -> object:
            return await live.admissions.scripts.run("admit", *admit_words(request))

        for name, admit in (("group commit", live.admissions.admit), ("one EVALSHA each", single)):
            rate, cpu_us = await _measure(admit, await _campaign(live, count), count, callers)
            print(f"{name:18} {rate:8,.0f} admissions/s  {cpu_us:6.1f} us CPU each")
    finally:
        await live.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--admissions", type=int, default=50_000)
    parser.add_argument("--callers", type=int, default=64)
    o = parser.parse_args()
    asyncio.run(main(o.redis_url, o.admissions, o.callers))
