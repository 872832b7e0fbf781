"""What the fault tests do to a running engine: clients of their own, paused servers."""

from __future__ import annotations

import asyncio
import os
import signal

import httpx

from engine.stack.local import LocalStack
from tests.integration.engine_procs import EngineUnderTest


class RetriesUnavailable(httpx.AsyncBaseTransport):
    """As the union's app does after a recovery: a 503 is sent again, the same request
    (same Idempotency-Key) after its Retry-After, `most` times at most: a 503 that
    outlasts them is the answer the test sees."""

    def __init__(self, inner: httpx.AsyncBaseTransport, most: int = 5) -> None:
        self.inner, self.most = inner, most

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        for _ in range(self.most):
            response = await self.inner.handle_async_request(request)
            if response.status_code != 503:
                return response
            await response.aread()
            await response.aclose()
            await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def client(engine: EngineUnderTest, retry_unavailable: bool = False) -> httpx.AsyncClient:
    """A client of its own per step: connections to a killed API must not be reused.
    `retry_unavailable`: answers 503 are retried (RetriesUnavailable)."""
    limits = httpx.Limits(max_connections=100, keepalive_expiry=1)
    transport: httpx.AsyncBaseTransport = httpx.AsyncHTTPTransport(limits=limits)
    if retry_unavailable:
        transport = RetriesUnavailable(transport)
    return httpx.AsyncClient(base_url=engine.base_url, transport=transport, timeout=30)


def pause(pid: int) -> None:
    os.kill(pid, signal.SIGSTOP)


def resume(pid: int) -> None:
    os.kill(pid, signal.SIGCONT)


def server_pid(stack: LocalStack, name: str) -> int:
    return int(next(s["pid"] for s in stack.status() if s["name"] == name))
