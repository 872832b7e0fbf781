"""What `@translated` (engine/adapters/failures.py) adds to one adapter call: the same
coroutine awaited bare and through the wrapper, in one run, pinned with taskset.

    taskset -c 1 .venv/bin/python loadtest/translated_cost.py
"""

from __future__ import annotations

import asyncio
import time

from engine.adapters.failures import translated

CALLS = 1_000_000


class Bare:
    async def call(self, x: int) -> int:
        return x


@translated
class Wrapped:
    async def call(self, x: int) -> int:
        return x


async def per_call_us(target: Bare | Wrapped) -> float:
    start = time.perf_counter()
    for i in range(CALLS):
        await target.call(i)
    return (time.perf_counter() - start) / CALLS * 1e6


async def main() -> None:
    rounds = [(await per_call_us(Bare()), await per_call_us(Wrapped())) for _ in range(5)]
    bare = sorted(b for b, _ in rounds)[2]
    wrapped = sorted(w for _, w in rounds)[2]
    print(f"bare await     {bare:.3f} µs/call (median of 5 x {CALLS:,})")
    print(f"@translated    {wrapped:.3f} µs/call")
    print(f"added          {wrapped - bare:.3f} µs/call ({wrapped / bare:.2f}x)")


if __name__ == "__main__":
    asyncio.run(main())
