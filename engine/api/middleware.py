"""Pure ASGI middleware: request ids for log correlation, and hard caps on what a request
may cost: header bytes, body bytes, and how long the body may take to arrive (and no NUL
or other control character in its URL, which no query could store)."""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import secrets
import time
from collections.abc import Awaitable, Callable

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine.api.problems import MEDIA_TYPE, problem_parts, send_json, status_of
from engine.domain.text import storable_text
from engine.errors import EngineError
from engine.metrics import HTTP_DURATION

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# A control character spelt in a query string (the server hands it over undecoded).
_CONTROL_ESCAPE = re.compile(rb"%(?:[01][0-9a-fA-F]|7[fF])|[\x00-\x1f\x7f]")
# Unique per process start plus a counter: as unique as a UUID here, at a fraction of the cost.
_PREFIX = f"{os.getpid():x}{secrets.token_hex(3)}"
_COUNTER = itertools.count(1)


class RequestContext:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _REQUEST_ID.match(given) else f"{_PREFIX}-{next(_COUNTER):x}"
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)

        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            structlog.contextvars.unbind_contextvars("request_id")
            # The route template, not the path: one series per endpoint, not per id.
            route = getattr(scope.get("route"), "path", "unmatched")
            HTTP_DURATION.labels(scope["method"], route, str(status)).observe(
                time.perf_counter() - started
            )


MAX_HEADER_BYTES = 16 * 1024


class BodyLimit:
    """Refuse bodies over the limit with 413, whether or not Content-Length is honest;
    headers over 16 KiB with 431; a body that stalls between chunks, or takes longer than
    the total limit however it trickles in (a slow client holding a connection and a
    request slot), with 408.

    Bulk endpoints (paths ending in /bulk, /import or /batch) get the larger bulk limit,
    and only after `authenticate` let the caller in: megabytes are buffered for callers
    who may send them, never for strangers.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        max_bulk_bytes: int,
        chunk_timeout_s: float,
        total_timeout_s: float,
        authenticate: Callable[[Scope], Awaitable[None]],
    ) -> None:
        self.app, self.max_bytes, self.max_bulk_bytes = app, max_bytes, max_bulk_bytes
        self.chunk_timeout_s, self.total_timeout_s = chunk_timeout_s, total_timeout_s
        self.authenticate = authenticate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if sum(len(k) + len(v) for k, v in scope["headers"]) > MAX_HEADER_BYTES:
            return await _refuse(
                scope,
                send,
                431,
                "headers-too-large",
                "Request headers too large",
                f"Request headers are limited to {MAX_HEADER_BYTES} bytes",
            )
        if not storable_text(scope["path"]) or _CONTROL_ESCAPE.search(scope["query_string"]):
            # PostgreSQL's text cannot hold NUL: refused before any parameter is read.
            return await _refuse(
                scope,
                send,
                422,
                "validation-error",
                "The request is not valid",
                "The path and query must not contain control characters (%00-%1F, %7F)",
            )
        bulk = scope["path"].endswith(("/bulk", "/import", "/batch"))
        if bulk and scope["method"] == "POST":
            try:
                await self.authenticate(scope)
            except EngineError as exc:
                return await _refuse(scope, send, status_of(exc), exc.slug, exc.title, exc.detail)
        limit = self.max_bulk_bytes if bulk else self.max_bytes
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            return await _too_large(scope, send, limit)
        # Read the whole (bounded) body before the app runs, so an oversize body is
        # refused here rather than surfacing as a parse error inside the framework.
        body = await self._whole_body(scope, receive, send, limit)
        if body is None:
            return None
        whole: Message = {"type": "http.request", "body": body, "more_body": False}
        await self.app(scope, replaying(whole, receive), send)

    async def _whole_body(
        self, scope: Scope, receive: Receive, send: Send, limit: int
    ) -> bytes | None:
        """The body, once read in full within the limits; None once refused (answered)."""
        chunks, seen, more = [], 0, True
        deadline = asyncio.get_running_loop().time() + self.total_timeout_s
        while more:
            left = deadline - asyncio.get_running_loop().time()
            try:
                async with asyncio.timeout(min(self.chunk_timeout_s, left)):
                    message = await receive()
            except TimeoutError:
                await _refuse(
                    scope,
                    send,
                    408,
                    "request-timeout",
                    "Request body too slow",
                    f"The body stalled for more than {self.chunk_timeout_s:g} s or took "
                    f"more than {self.total_timeout_s:g} s in all",
                )
                return None
            if message["type"] != "http.request":
                return None
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > limit:
                await _too_large(scope, send, limit)
                return None
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)


def replaying(first: Message, receive: Receive) -> Receive:
    """`receive` that gives `first` (a body already read) once, then the client's own."""
    replayed = False

    async def again() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return first
        return await receive()

    return again


async def _too_large(scope: Scope, send: Send, max_bytes: int) -> None:
    await _refuse(
        scope,
        send,
        413,
        "payload-too-large",
        "Request body too large",
        f"Request bodies are limited to {max_bytes} bytes",
    )


async def _refuse(
    scope: Scope, send: Send, status: int, slug: str, title: str, detail: str
) -> None:
    doc, _ = problem_parts(status, slug, title, detail, scope.get("path", ""), None)
    await send_json(send, status, doc, MEDIA_TYPE, None)
