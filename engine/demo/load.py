"""A small asynchronous load driver (aiohttp) with a progress bar and per-outcome counts.

aiohttp's client costs a fraction of httpx's per request, which matters when the
load generator shares two cores with the system it measures.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


@dataclass(frozen=True, slots=True)
class Call:
    method: str
    url: str
    headers: dict[str, Any]
    body: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: dict[str, Any]


@dataclass
class LoadResult:
    outcomes: Counter[str] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    elapsed_s: float = 0.0
    answers: list[Answer | None] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.elapsed_s if self.elapsed_s else 0.0

    def percentile(self, share: float) -> float:
        return percentile(self.latencies_ms, share)

    def distinct(self, field_name: str) -> int:
        """Distinct resources behind the 2xx answers (a retried request repeats its answer)."""
        return len({a.body[field_name] for a in self.answers if a is not None and a.status == 201})


def percentile(values: Sequence[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def outcome_of(answer: Answer) -> str:
    if answer.status < 300:
        return str(answer.status)
    return f"{answer.status} {str(answer.body.get('type', '')).rsplit('/', 1)[-1]}"


async def send(session: aiohttp.ClientSession, call: Call) -> Answer:
    async with session.request(call.method, call.url, headers=call.headers, json=call.body) as r:
        return Answer(r.status, await r.json(content_type=None))


async def drive(
    base_url: str,
    calls: Sequence[Call],
    concurrency: int,
    label: str,
    console: Console | None = None,
) -> LoadResult:
    """Send every call with at most `concurrency` in flight; keep each answer."""
    result = LoadResult(answers=[None] * len(calls))
    next_index = iter(range(len(calls)))
    columns = (TextColumn(f"{label:<12}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(base_url, connector=connector, timeout=timeout) as session:
        with Progress(*columns, console=console) as progress:
            task = progress.add_task(label, total=len(calls))

            async def worker() -> None:
                for i in next_index:
                    started = time.perf_counter()
                    try:
                        answer = await send(session, calls[i])
                        result.outcomes[outcome_of(answer)] += 1
                        result.answers[i] = answer
                    except (aiohttp.ClientError, TimeoutError) as exc:
                        result.outcomes[f"transport {type(exc).__name__}"] += 1
                    result.latencies_ms.append((time.perf_counter() - started) * 1000)
                    progress.advance(task)

            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            result.elapsed_s = time.perf_counter() - started
    return result
