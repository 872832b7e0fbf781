"""A small asynchronous load driver with a progress bar and per-outcome counts."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import httpx
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


@dataclass
class LoadResult:
    outcomes: Counter = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    elapsed_s: float = 0.0
    answers: list = field(default_factory=list)

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.elapsed_s if self.elapsed_s else 0.0

    def percentile(self, q: float) -> float:
        return percentile(self.latencies_ms, q)


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def outcome_of(response: httpx.Response) -> str:
    if response.status_code < 300:
        return str(response.status_code)
    kind = response.json().get("type", "").rsplit("/", 1)[-1]
    return f"{response.status_code} {kind}"


Request = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


async def drive(
    client: httpx.AsyncClient,
    requests: Sequence[Request],
    concurrency: int,
    label: str,
    console=None,
) -> LoadResult:
    """Send every request with at most `concurrency` in flight; keep each answer."""
    result = LoadResult(answers=[None] * len(requests))
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(len(requests)):
        queue.put_nowait(i)
    columns = (TextColumn(f"{label:<12}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(label, total=len(requests))

        async def worker() -> None:
            while not queue.empty():
                i = queue.get_nowait()
                started = time.perf_counter()
                try:
                    response = await requests[i](client)
                    result.outcomes[outcome_of(response)] += 1
                    result.answers[i] = response
                except httpx.HTTPError as exc:
                    result.outcomes[f"transport {type(exc).__name__}"] += 1
                result.latencies_ms.append((time.perf_counter() - started) * 1000)
                progress.advance(task)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        result.elapsed_s = time.perf_counter() - started
    return result
